import { ApiError, get, setToken, token } from './api';
import { h, replace } from './dom';
import { errorBox } from './feedback';
import { baselinesPage } from './pages/baselines';
import { changesPage, type Cleanup } from './pages/changes';
import { ciPage } from './pages/ci-page';
import { inventoryPage } from './pages/inventory';
import { reconciliationsPage } from './pages/reconciliations';
import { signInPage } from './pages/sign-in';
import type { Me } from './types';

/**
 * The console: a small single-page client of the API, routed by the URL's
 * fragment (#/ci/web-01?asOf=…), so every view is a link a reader can share.
 */
const main = document.getElementById('main')!;
const who = document.getElementById('who')!;
let me: Me | undefined;
let leave: Cleanup | undefined;

function showWho(): void {
  if (!me) return replace(who);
  if (me.authentication === 'off') return replace(who, h('span', { class: 'muted' }, 'authentication off'));
  replace(
    who,
    `${me.name} (${me.roles.join(', ')}) `,
    h(
      'button',
      { type: 'button', class: 'link', onclick: () => (setToken(null), (me = undefined), void start()) },
      'Sign out',
    ),
  );
}

async function route(): Promise<void> {
  if (!me) return;
  leave?.();
  leave = undefined;
  const [path = '/', search = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const link of document.querySelectorAll('nav a')) {
    const target = link.getAttribute('href')!;
    link.classList.toggle('here', target === `#/${parts[0] ?? ''}` || (target === '#/' && parts[0] === 'ci'));
  }
  try {
    if (parts[0] === 'ci' && parts[1]) await ciPage(main, parts[1], params, me);
    else if (parts[0] === 'changes') leave = await changesPage(main, params, me);
    else if (parts[0] === 'baselines') await baselinesPage(main, parts[1], me);
    else if (parts[0] === 'reconciliations') await reconciliationsPage(main, parts[1], params, me);
    else await inventoryPage(main, params, me);
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401) return void start();
    replace(main, errorBox(error));
  }
}

async function start(): Promise<void> {
  try {
    me = await get<Me>('/whoami');
  } catch (error) {
    me = undefined;
    showWho();
    if (error instanceof ApiError && error.problem.status === 401) {
      const reason = token() ? `The token was refused: ${error.problem.detail}` : undefined;
      setToken(null);
      return signInPage(main, reason, () => void start());
    }
    return replace(main, errorBox(error));
  }
  showWho();
  await route();
}

window.addEventListener('hashchange', () => void route());
void start();
