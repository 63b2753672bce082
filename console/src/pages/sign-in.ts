import { setToken } from '../api';
import { h, replace } from '../dom';

/** Asks for an API token (from `npm run tokens -- add …` or the identity provider): kept for this tab only. */
export function signInPage(main: HTMLElement, reason: string | undefined, onSignedIn: () => void): void {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', size: '60', required: true });
  replace(
    main,
    h('h1', {}, 'Sign in'),
    reason ? h('div', { class: 'error', role: 'alert' }, reason) : null,
    h('p', {}, 'This ConfigLedger asks for authentication. Paste your API token; it is kept in this tab only.'),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (event: Event) => {
          event.preventDefault();
          setToken(input.value.trim());
          onSignedIn();
        },
      },
      h('label', {}, 'Token ', input),
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  );
}
