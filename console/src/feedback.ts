import { ApiError } from './api';
import { h } from './dom';

/** An error as the reader should see it: the API's problem, with each bad field named. */
export function errorBox(error: unknown): HTMLElement {
  if (error instanceof ApiError) {
    const { problem } = error;
    return h(
      'div',
      { class: 'error', role: 'alert' },
      h('strong', {}, `${problem.status} ${problem.title}`),
      problem.detail ? h('p', {}, problem.detail) : null,
      problem.errors ? h('ul', {}, ...problem.errors.map((e) => h('li', {}, `${e.field}: ${e.message}`))) : null,
    );
  }
  return h('div', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error));
}

/** Runs a page's loading work, showing what went wrong in place of the page. */
export async function guarded(container: HTMLElement, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    container.replaceChildren(errorBox(error));
  }
}
