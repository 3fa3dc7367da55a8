/**
 * The storefront: pick or create a client, search the catalogue, fill the cart, check out choreographed (202, then the
 * timeline) or orchestrated (the saga's final state), and the client's order history. Each checkout attempt carries one
 * Idempotency-Key (lib/idempotency.ts): a double click makes one order.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError, get, gw, P, uuid } from '../lib/api.ts';
import type { UiMessage } from '../lib/errors.ts';
import { AttemptKey } from '../lib/idempotency.ts';
import { navigate } from '../lib/router.ts';
import { Loading, Message, Page, dateTime, money, short, success, toMessage, useAsync } from '../ui.tsx';
import type { Produit } from './store.tsx';

interface Client {
  id: string;
  nom_complet: string;
  email: string;
}
interface LignePanier {
  produit_id: string;
  nom_produit: string;
  prix_unitaire: number;
  quantite: number;
  prix_ligne: number;
}
interface Panier {
  est_vide: boolean;
  produits: LignePanier[];
  resume: { nombre_articles?: number; prix_total?: number } & Record<string, unknown>;
}
interface Commande {
  commande_id: string;
  checkout_id: string | null;
  statut: string;
  date_commande: string;
  montants: { total: number };
  details: { nombre_articles: number };
}
type Mode = 'choreo' | 'orchestre';
interface SagaAnswer {
  saga_id: string | null;
  etat_final: string | null;
  commande_id?: string;
  error?: string;
}

function NouveauClient({ onCreated }: { onCreated: (id: string) => void }) {
  const [f, setF] = useState({
    prenom: '',
    nom: '',
    email: '',
    telephone: '',
    adresse_rue: '',
    adresse_ville: '',
    adresse_code_postal: '',
  });
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setMsg(null);
    try {
      const { telephone, ...rest } = f;
      const { data } = await gw<{ client?: { id: string } }>('POST', `${P.ecommerce}/clients/`, {
        body: { ...rest, ...(telephone ? { telephone } : {}) },
      });
      setMsg(success('Client créé.'));
      if (data.client?.id) onCreated(data.client.id);
    } catch (err) {
      setMsg(toMessage(err));
    }
  };
  const field = (k: keyof typeof f, label: string, type: 'text' | 'email' | 'tel' = 'text', required = true) => (
    <>
      <label for={`nc-${k}`}>{label}</label>
      {type === 'email' ? (
        <input id={`nc-${k}`} type="email" required={required} value={f[k]} onInput={set(k)} />
      ) : type === 'tel' ? (
        <input id={`nc-${k}`} type="tel" required={required} value={f[k]} onInput={set(k)} />
      ) : (
        <input id={`nc-${k}`} type="text" required={required} value={f[k]} onInput={set(k)} />
      )}
    </>
  );
  return (
    <details class="card">
      <summary>Créer un client</summary>
      <form class="form" onSubmit={submit}>
        {field('prenom', 'Prénom')}
        {field('nom', 'Nom')}
        {field('email', 'Courriel', 'email')}
        {field('telephone', 'Téléphone (facultatif)', 'tel', false)}
        {field('adresse_rue', 'Rue')}
        {field('adresse_ville', 'Ville')}
        {field('adresse_code_postal', 'Code postal (ex. H1A 1A1)')}
        <button class="btn btn-primary" type="submit">
          Créer le client
        </button>
        <Message m={msg} />
      </form>
    </details>
  );
}

function ModeChoice({ mode, setMode, name }: { mode: Mode; setMode: (m: Mode) => void; name: string }) {
  return (
    <fieldset class="mode">
      <legend>Saga</legend>
      <label class="check">
        <input type="radio" name={name} value="choreo" checked={mode === 'choreo'} onChange={() => setMode('choreo')} /> Chorégraphiée
        (événements)
      </label>
      <label class="check">
        <input type="radio" name={name} value="orchestre" checked={mode === 'orchestre'} onChange={() => setMode('orchestre')} /> Orchestrée
        (orchestrateur)
      </label>
    </fieldset>
  );
}

/** One checkout button: an in-flight guard and one key per attempt. */
function useCheckout(clientId: string, onDone: () => void) {
  const key = useRef(new AttemptKey(uuid));
  const inFlight = useRef(false);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const [saga, setSaga] = useState<SagaAnswer | null>(null);
  const run = async (mode: Mode, lignes: { produit_id: string; quantite: number }[] | null) => {
    if (inFlight.current) return; // the second click of a double click: the first one's answer is on its way
    inFlight.current = true;
    setBusy(true);
    setMsg(null);
    setSaga(null);
    const headers = { 'Idempotency-Key': key.current.take() };
    try {
      if (mode === 'choreo') {
        const body = lignes ? { panier: { lignes } } : {};
        const { data } = await gw<{ checkout_id: string }>('POST', `${P.ecommerce}/commandes/clients/${clientId}/checkout/choreo/`, {
          body,
          headers,
        });
        key.current.settle();
        navigate(`/sagas/${data.checkout_id}`);
        return;
      }
      const { data } = await gw<SagaAnswer>('POST', `${P.saga}/commandes/`, {
        body: { client_id: clientId, lignes: lignes ?? [] },
        headers,
      });
      key.current.settle();
      setSaga(data);
      setMsg(success(`Saga terminée: ${data.etat_final ?? '—'}.`));
    } catch (err) {
      key.current.settle();
      setMsg(toMessage(err));
      if (err instanceof ApiError && err.body && typeof err.body === 'object' && 'saga_id' in err.body) setSaga(err.body as SagaAnswer);
    } finally {
      inFlight.current = false;
      setBusy(false);
      onDone();
    }
  };
  return { run, busy, msg, saga };
}

function SagaResult({ saga }: { saga: SagaAnswer | null }) {
  if (!saga?.saga_id) return null;
  return (
    <p class="card" data-testid="saga-result">
      Saga orchestrée {short(saga.saga_id)}: état final <strong>{saga.etat_final ?? 'en cours'}</strong>.{' '}
      <a href={`/sagas/orchestree/${saga.saga_id}`}>Voir ses états</a>
    </p>
  );
}

export function Boutique() {
  const clients = useAsync(async () => (await get<{ clients: Client[] }>(`${P.ecommerce}/clients/`)).clients, []);
  const [clientId, setClientId] = useState('');
  const [recherche, setRecherche] = useState('');
  const [terme, setTerme] = useState('');
  const [cartMsg, setCartMsg] = useState<UiMessage | null>(null);
  const [mode, setMode] = useState<Mode>('choreo');
  const [direct, setDirect] = useState({ produit_id: '', quantite: '1' });
  const [modeDirect, setModeDirect] = useState<Mode>('choreo');
  const produits = useAsync(
    async () =>
      (
        await get<{ data: { produits: Produit[] } }>(
          `${P.catalogue}/rechercher/?actifs_seulement=true${terme ? `&nom=${encodeURIComponent(terme)}` : ''}`,
        )
      ).data.produits,
    [terme],
  );
  const panier = useAsync(async () => (clientId ? get<Panier>(`${P.ecommerce}/panier/clients/${clientId}/panier/`) : null), [clientId]);
  const historique = useAsync(
    async () =>
      clientId ? (await get<{ commandes: Commande[] }>(`${P.ecommerce}/commandes/clients/${clientId}/historique/`)).commandes : [],
    [clientId],
  );
  const refresh = () => {
    panier.reload();
    historique.reload();
  };
  const checkout = useCheckout(clientId, refresh);
  const directCheckout = useCheckout(clientId, refresh);
  const ajouter = async (p: Produit, quantite: number) => {
    setCartMsg(null);
    try {
      await gw('POST', `${P.ecommerce}/panier/clients/${clientId}/panier/`, { body: { produit_id: p.id, quantite } });
      setCartMsg(success(`${p.nom} ajouté au panier.`));
      panier.reload();
    } catch (err) {
      setCartMsg(toMessage(err));
    }
  };
  const modifier = async (l: LignePanier, quantite: number) => {
    setCartMsg(null);
    try {
      await gw('PUT', `${P.ecommerce}/panier/clients/${clientId}/panier/produits/${l.produit_id}/`, { body: { quantite } });
      panier.reload();
    } catch (err) {
      setCartMsg(toMessage(err));
    }
  };
  const vider = async () => {
    try {
      await gw('DELETE', `${P.ecommerce}/panier/clients/${clientId}/panier/`);
      panier.reload();
    } catch (err) {
      setCartMsg(toMessage(err));
    }
  };
  const lignes = (panier.data?.produits ?? []).map((l) => ({ produit_id: l.produit_id, quantite: l.quantite }));
  return (
    <Page title="Boutique">
      <div class="card form">
        <label for="client">Client</label>
        <select id="client" value={clientId} onChange={(e) => setClientId((e.target as HTMLSelectElement).value)}>
          <option value="">— choisir un client —</option>
          {(clients.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.nom_complet} ({c.email})
            </option>
          ))}
        </select>
        <Loading a={clients} label="des clients" />
      </div>
      <NouveauClient
        onCreated={(id) => {
          clients.reload();
          setClientId(id);
        }}
      />
      <h2>Catalogue</h2>
      <form
        class="inline-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setTerme(recherche.trim());
        }}
      >
        <label for="recherche">Rechercher un produit</label>
        <input id="recherche" type="search" value={recherche} onInput={(e) => setRecherche((e.target as HTMLInputElement).value)} />
        <button class="btn" type="submit">
          Rechercher
        </button>
      </form>
      <Loading a={produits} label="du catalogue" />
      <Message m={cartMsg} />
      <ul class="products">
        {(produits.data ?? []).map((p) => (
          <ProductCard key={p.id} p={p} disabled={!clientId} onAdd={(q) => ajouter(p, q)} />
        ))}
      </ul>
      {!clientId && <p>Choisissez un client pour remplir son panier et commander.</p>}
      {clientId && (
        <>
          <h2>Panier</h2>
          <Loading a={panier} label="du panier" />
          {panier.data?.produits.length === 0 && <p>Le panier est vide.</p>}
          {panier.data && panier.data.produits.length > 0 && (
            <div class="table-wrap">
              <table>
                <caption>Panier du client</caption>
                <thead>
                  <tr>
                    <th scope="col">Produit</th>
                    <th scope="col">Prix</th>
                    <th scope="col">Quantité</th>
                    <th scope="col">Total</th>
                  </tr>
                </thead>
                <tbody>
                  {panier.data.produits.map((l) => (
                    <tr key={l.produit_id}>
                      <th scope="row">{l.nom_produit}</th>
                      <td class="num">{money(l.prix_unitaire)}</td>
                      <td>
                        <label class="sr-only" for={`q-${l.produit_id}`}>
                          Quantité de {l.nom_produit} (0 retire)
                        </label>
                        <input
                          id={`q-${l.produit_id}`}
                          class="qty"
                          type="number"
                          min={0}
                          value={l.quantite}
                          onChange={(e) => modifier(l, Number((e.target as HTMLInputElement).value))}
                        />
                      </td>
                      <td class="num">{money(l.prix_ligne)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="card form">
            <ModeChoice mode={mode} setMode={setMode} name="mode-panier" />
            <div class="row">
              <button
                class="btn btn-primary"
                type="button"
                disabled={checkout.busy || lignes.length === 0}
                onClick={() => checkout.run(mode, mode === 'choreo' ? null : lignes)}
              >
                {checkout.busy ? 'Commande en cours…' : 'Passer la commande'}
              </button>
              <button class="btn" type="button" onClick={vider} disabled={lignes.length === 0}>
                Vider le panier
              </button>
            </div>
            <Message m={checkout.msg} />
            <SagaResult saga={checkout.saga} />
          </div>
          <form
            class="card form"
            aria-label="Commande directe"
            onSubmit={(e) => {
              e.preventDefault();
              void directCheckout.run(modeDirect, [{ produit_id: direct.produit_id, quantite: Number(direct.quantite) }]);
            }}
          >
            <h2>Commande directe</h2>
            <p>Sans passer par le panier (comme le corps `panier.lignes` du README), par exemple pour une quantité impossible.</p>
            <label for="direct-produit">Produit</label>
            <select
              id="direct-produit"
              required
              value={direct.produit_id}
              onChange={(e) => setDirect({ ...direct, produit_id: (e.target as HTMLSelectElement).value })}
            >
              <option value="">— choisir —</option>
              {(produits.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.nom}
                </option>
              ))}
            </select>
            <label for="direct-quantite">Quantité</label>
            <input
              id="direct-quantite"
              type="number"
              min={1}
              max={1000000}
              required
              value={direct.quantite}
              onInput={(e) => setDirect({ ...direct, quantite: (e.target as HTMLInputElement).value })}
            />
            <ModeChoice mode={modeDirect} setMode={setModeDirect} name="mode-direct" />
            <button class="btn btn-primary" type="submit" disabled={directCheckout.busy}>
              Commander
            </button>
            <Message m={directCheckout.msg} />
            <SagaResult saga={directCheckout.saga} />
          </form>
          <h2>Historique des commandes</h2>
          <Loading a={historique} label="de l’historique" />
          {historique.data?.length === 0 && <p>Aucune commande.</p>}
          {historique.data && historique.data.length > 0 && (
            <div class="table-wrap">
              <table>
                <caption>Commandes du client</caption>
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Commande</th>
                    <th scope="col">Statut</th>
                    <th scope="col">Articles</th>
                    <th scope="col">Total</th>
                    <th scope="col">Saga</th>
                  </tr>
                </thead>
                <tbody>
                  {historique.data.map((c) => (
                    <tr key={c.commande_id}>
                      <td>{dateTime(c.date_commande)}</td>
                      <th scope="row">{short(c.commande_id)}</th>
                      <td>{c.statut}</td>
                      <td class="num">{c.details.nombre_articles}</td>
                      <td class="num">{money(c.montants.total)}</td>
                      <td>{c.checkout_id ? <a href={`/sagas/${c.checkout_id}`}>Chronologie</a> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </Page>
  );
}

function ProductCard({ p, disabled, onAdd }: { p: Produit; disabled: boolean; onAdd: (q: number) => void }) {
  const [q, setQ] = useState('1');
  const id = p.id;
  return (
    <li class="card product">
      <h3>{p.nom}</h3>
      <p>
        {p.categorie ?? ''} · <strong>{money(p.prix)}</strong>
      </p>
      {p.description && <p class="muted">{p.description}</p>}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          onAdd(Number(q));
        }}
      >
        <label for={`pq-${id}`}>Quantité</label>
        <input
          id={`pq-${id}`}
          class="qty"
          type="number"
          min={1}
          required
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
        <button class="btn" type="submit" disabled={disabled} aria-label={`Ajouter ${p.nom} au panier`}>
          Ajouter au panier
        </button>
      </form>
    </li>
  );
}
