/**
 * The console's web app: sign-in, the reference's store pages (UC1–UC6), the storefront, the saga timeline and the
 * operations views. Every call goes to the BFF (same origin); the API key never reaches this code.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { call, setSessionLostHandler } from './lib/api.ts';
import { navigate, onLinkClick, useLocation } from './lib/router.ts';
import { Message, Page, toMessage } from './ui.tsx';
import type { UiMessage } from './lib/errors.ts';
import { AjouterVente, Dashboard, Demandes, Produits, Rapport, Stocks } from './pages/store.tsx';
import { Boutique } from './pages/shop.tsx';
import { SagaDetail, Sagas, SagaOrchestree } from './pages/sagas.tsx';
import { Evenements, LettresMortes, Projection, Systeme } from './pages/ops.tsx';

/** The reference's six links in its order (reference §2.7), then the console's own views. */
export const NAV: readonly { href: string; label: string }[] = [
  { href: '/ventes/ajouter', label: 'Ajouter une vente' },
  { href: '/rapport', label: 'Rapport des ventes' },
  { href: '/stocks', label: 'Stock central & réapprovisionnement' },
  { href: '/', label: 'Tableau de bord des performances' },
  { href: '/produits', label: 'Gérer les produits' },
  { href: '/demandes', label: 'Valider les réapprovisionnements' },
  { href: '/boutique', label: 'Boutique' },
  { href: '/sagas', label: 'Sagas' },
  { href: '/evenements', label: 'Événements' },
  { href: '/projection', label: 'Projection' },
  { href: '/lettres-mortes', label: 'Lettres mortes' },
  { href: '/systeme', label: 'Système' },
];

function route(path: string, query: URLSearchParams) {
  const saga = /^\/sagas\/orchestree\/([0-9a-fA-F-]{36})$/.exec(path);
  if (saga) return <SagaOrchestree id={saga[1]!} />;
  const checkout = /^\/sagas\/([0-9a-fA-F-]{36})$/.exec(path);
  if (checkout) return <SagaDetail id={checkout[1]!} until={query.get('until')} />;
  switch (path.replace(/\/+$/, '') || '/') {
    case '/':
    case '/indicateurs':
      return <Dashboard />;
    case '/ventes/ajouter':
      return <AjouterVente />;
    case '/rapport':
      return <Rapport />;
    case '/stocks':
      return <Stocks />;
    case '/produits':
      return <Produits />;
    case '/demandes':
      return <Demandes />;
    case '/boutique':
      return <Boutique />;
    case '/sagas':
      return <Sagas />;
    case '/evenements':
      return <Evenements />;
    case '/projection':
      return <Projection />;
    case '/lettres-mortes':
      return <LettresMortes />;
    case '/systeme':
      return <Systeme />;
    default:
      return (
        <Page title="Page introuvable">
          <p>
            Cette adresse ne correspond à aucune page. <a href="/">Retour au tableau de bord</a>.
          </p>
        </Page>
      );
  }
}

function SignIn({ onDone, notice }: { onDone: () => void; notice: UiMessage | null }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<UiMessage | null>(notice);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMsg(null);
    try {
      await call('POST', '/console-api/session', { body: { api_key: key.trim() } });
      setKey('');
      onDone();
    } catch (err) {
      setMsg(toMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="contenu" class="signin">
      <Page title="Connexion">
        <p>
          Saisissez la clé API affichée par <code>npm start</code> (ou <code>npm run -s key</code>). La console la garde côté serveur: votre
          navigateur ne reçoit qu’un cookie de session.
        </p>
        <form onSubmit={submit} class="card form">
          <label for="api-key">Clé API</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            required
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          />
          <button class="btn btn-primary" type="submit" disabled={busy}>
            {busy ? 'Vérification…' : 'Se connecter'}
          </button>
          <Message m={msg} />
        </form>
      </Page>
    </main>
  );
}

function Layout({ path, children, onSignOut }: { path: string; children: preact.ComponentChildren; onSignOut: () => void }) {
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  const current = (href: string) => (href === '/' ? path === '/' || path === '/indicateurs' : path === href || path.startsWith(`${href}/`));
  return (
    <>
      <a class="skip" href="#contenu" onClick={(e) => (e.preventDefault(), document.getElementById('page-title')?.focus())}>
        Aller au contenu
      </a>
      <header class="top">
        <a class="brand" href="/">
          <span aria-hidden="true">▣ </span>Console magasin
        </a>
        <button class="btn menu-btn" type="button" aria-expanded={open} aria-controls="nav" onClick={() => setOpen(!open)}>
          Menu
        </button>
        <button class="btn signout" type="button" onClick={onSignOut}>
          Se déconnecter
        </button>
      </header>
      <nav id="nav" class={open ? 'nav open' : 'nav'} aria-label="Navigation principale">
        <ul>
          {NAV.map((n) => (
            <li key={n.href}>
              <a href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="contenu">{children}</main>
    </>
  );
}

function App() {
  const { path, query } = useLocation();
  const [connected, setConnected] = useState<boolean | null>(null);
  const [notice, setNotice] = useState<UiMessage | null>(null);
  useEffect(() => {
    setSessionLostHandler(() => {
      setNotice({ tone: 'info', text: 'Votre session a pris fin: reconnectez-vous.', sessionLost: true });
      setConnected(false);
    });
    call('GET', '/console-api/session').then(
      () => setConnected(true),
      () => setConnected(false),
    );
  }, []);
  if (connected === null) return <p role="status">Chargement…</p>;
  if (!connected) {
    return (
      <SignIn
        notice={notice}
        onDone={() => {
          setNotice(null);
          setConnected(true);
        }}
      />
    );
  }
  const signOut = async () => {
    try {
      await call('DELETE', '/console-api/session');
    } catch {
      // Signed out either way: the page forgets the session too.
    }
    setNotice({ tone: 'info', text: 'Vous êtes déconnecté.', sessionLost: false });
    setConnected(false);
    navigate('/');
  };
  return (
    <Layout path={path} onSignOut={signOut}>
      {route(path, query)}
    </Layout>
  );
}

document.addEventListener('click', onLinkClick);
render(<App />, document.getElementById('app')!);
