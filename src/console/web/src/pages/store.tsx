/** The reference's store pages (reference §2.7): UC3 dashboard, UC1 report and sale, UC2 stock, UC4 products, UC6 requests. */
import { useState } from 'preact/hooks';
import { get, gw, P } from '../lib/api.ts';
import type { UiMessage } from '../lib/errors.ts';
import { Loading, Message, Page, money, success, toMessage, useAction, useAsync } from '../ui.tsx';

interface Indicateur {
  magasin: string;
  magasin_id: string;
  chiffre_affaires: number;
  ruptures: number;
  surstock: number;
  tendances: string;
}
interface ProduitVendu {
  produit_id: string;
  nom: string;
  quantite_totale: number;
  chiffre_affaires: number;
}
interface RapportMagasin {
  magasin: string;
  magasin_id: string;
  total: number;
  produits_vendus: ProduitVendu[];
  stock_local: { ruptures: number; surstock: number; produits_en_stock: number };
}
interface Magasin {
  id: string;
  nom: string;
  adresse: string;
}
interface Stock {
  produit_id: string;
  quantite: number;
  niveau: string;
  nom_produit: string;
}
interface MagasinStocks {
  magasin_id: string;
  nom_magasin: string;
  stocks: Stock[];
}
export interface Produit {
  id: string;
  nom: string;
  categorie: string | null;
  prix: number;
  description: string | null;
  sku: string | null;
  actif: boolean;
}
interface Demande {
  id: string;
  produit_id: string;
  magasin_id: string;
  quantite: number;
  statut: string;
  nom_produit?: string;
  nom_magasin?: string;
  date_creation?: string;
}

/** The reference's sale form records a walk-in customer as the all-zero client (reference §1.2). */
const ANONYME = '00000000-0000-0000-0000-000000000000';

export const CATEGORIES = ['Informatique', 'Boissons', 'Confiserie', 'Électronique', 'Meubles', 'Vêtements'] as const;

const magasins = async () => (await get<{ magasins: Magasin[] }>(`${P.commandes}/magasins/`)).magasins;
const magasinsStocks = async () => (await get<{ magasins: MagasinStocks[] }>(`${P.inventaire}/magasins-stocks/`)).magasins;

/** UC3: revenue, stock-outs, overstock and weekly trend per store, with the alerts and the top 3 the reference computed. */
export function Dashboard() {
  const a = useAsync(() => get<Indicateur[]>(`${P.commandes}/indicateurs/`), []);
  const rows = a.data ?? [];
  const alertes = rows.filter((r) => r.ruptures > 0 || r.surstock > 2);
  const top = [...rows].sort((x, y) => y.chiffre_affaires - x.chiffre_affaires).slice(0, 3);
  return (
    <Page title="Tableau de bord des performances">
      <Loading a={a} label="des indicateurs" />
      {a.data && (
        <>
          <div class="grid">
            <div class="card">
              <h2>Alertes</h2>
              {alertes.length === 0 ? (
                <p>
                  <span aria-hidden="true">✔ </span>Aucune alerte.
                </p>
              ) : (
                <ul class="plain">
                  {alertes.map((r) => (
                    <li key={r.magasin_id} class="status-warn">
                      <span aria-hidden="true">⚠ </span>
                      <strong>{r.magasin}</strong>: {r.ruptures > 0 ? `${r.ruptures} rupture(s)` : ''}
                      {r.ruptures > 0 && r.surstock > 2 ? ', ' : ''}
                      {r.surstock > 2 ? `${r.surstock} produit(s) en surstock` : ''}
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <div class="card">
              <h2>Top 3 (chiffre d’affaires)</h2>
              <ol>
                {top.map((r) => (
                  <li key={r.magasin_id}>
                    {r.magasin}: {money(r.chiffre_affaires)}
                  </li>
                ))}
              </ol>
            </div>
          </div>
          <div class="table-wrap">
            <table>
              <caption>Indicateurs par magasin (7 derniers jours)</caption>
              <thead>
                <tr>
                  <th scope="col">Magasin</th>
                  <th scope="col">CA</th>
                  <th scope="col">Ruptures</th>
                  <th scope="col">Surstock</th>
                  <th scope="col">Tendances hebdo</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.magasin_id}>
                    <th scope="row">{r.magasin}</th>
                    <td class="num">{money(r.chiffre_affaires)}</td>
                    <td>{r.ruptures} produit(s)</td>
                    <td>{r.surstock}</td>
                    <td>{r.tendances}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Page>
  );
}

/** UC1: the consolidated report per store, with its current local stock. */
export function Rapport() {
  const a = useAsync(() => Promise.all([get<RapportMagasin[]>(`${P.commandes}/rapport-consolide/`), magasinsStocks()]), []);
  const [rapport, stocks] = a.data ?? [[], []];
  return (
    <Page title="Rapport des ventes">
      <p>
        <a href="/ventes/ajouter">Ajouter une vente</a>
      </p>
      <Loading a={a} label="du rapport" />
      {rapport.map((m) => {
        const local = stocks.find((s) => s.magasin_id === m.magasin_id)?.stocks ?? [];
        return (
          <article class="card" key={m.magasin_id} aria-labelledby={`r-${m.magasin_id}`}>
            <h2 id={`r-${m.magasin_id}`}>{m.magasin}</h2>
            <p>
              Total des ventes: <strong data-testid={`total-${m.magasin_id}`}>{money(m.total)}</strong>
            </p>
            <h3>Produits vendus</h3>
            {m.produits_vendus.length === 0 ? (
              <p>Aucune vente sur 7 jours.</p>
            ) : (
              <ul>
                {m.produits_vendus.map((p) => (
                  <li key={p.produit_id}>
                    {p.nom}: {p.quantite_totale} (CA: {money(p.chiffre_affaires)})
                  </li>
                ))}
              </ul>
            )}
            <h3>Stock local courant</h3>
            <p>
              {m.stock_local.produits_en_stock} produit(s) en stock, {m.stock_local.ruptures} rupture(s), {m.stock_local.surstock} en
              surstock
            </p>
            {local.length > 0 && (
              <ul>
                {local.map((s) => (
                  <li key={s.produit_id}>
                    {s.nom_produit}: {s.quantite}
                  </li>
                ))}
              </ul>
            )}
          </article>
        );
      })}
    </Page>
  );
}

/** UC1b: record a sale — the store, then a product of its local stock, the quantity bounded by that stock. */
export function AjouterVente() {
  const [magasinId, setMagasinId] = useState('');
  const [produitId, setProduitId] = useState('');
  const [quantite, setQuantite] = useState('1');
  const [clientId, setClientId] = useState(ANONYME);
  const { msg, busy, run } = useAction();
  const ms = useAsync(magasins, []);
  const clients = useAsync(
    async () => (await get<{ clients: { id: string; nom_complet: string }[] }>(`${P.ecommerce}/clients/`)).clients,
    [],
  );
  const all = useAsync(magasinsStocks, []);
  const local = all.data?.find((m) => m.magasin_id === magasinId)?.stocks.filter((s) => s.quantite > 0) ?? [];
  const choisi = local.find((s) => s.produit_id === produitId);
  const submit = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      await gw('POST', `${P.commandes}/ventes-ddd/enregistrer/`, {
        body: { magasin_id: magasinId, produit_id: produitId, quantite: Number(quantite), client_id: clientId },
      });
      all.reload();
      return `Vente enregistrée: ${quantite} × ${choisi?.nom_produit ?? produitId}.`;
    });
  };
  return (
    <Page title="Ajouter une vente">
      <Loading a={ms} label="des magasins" />
      <form class="card form" onSubmit={submit}>
        <label for="vente-magasin">Magasin</label>
        <select
          id="vente-magasin"
          required
          value={magasinId}
          onChange={(e) => {
            setMagasinId((e.target as HTMLSelectElement).value);
            setProduitId('');
          }}
        >
          <option value="">— choisir —</option>
          {(ms.data ?? []).map((m) => (
            <option key={m.id} value={m.id}>
              {m.nom}
            </option>
          ))}
        </select>
        <label for="vente-produit">Produit (stock local)</label>
        <select
          id="vente-produit"
          required
          value={produitId}
          disabled={!magasinId}
          onChange={(e) => setProduitId((e.target as HTMLSelectElement).value)}
        >
          <option value="">{magasinId && local.length === 0 ? '— aucun stock local —' : '— choisir —'}</option>
          {local.map((s) => (
            <option key={s.produit_id} value={s.produit_id}>
              {s.nom_produit} ({s.quantite} en stock)
            </option>
          ))}
        </select>
        <label for="vente-quantite">Quantité{choisi ? ` (1 à ${choisi.quantite})` : ''}</label>
        <input
          id="vente-quantite"
          type="number"
          min={1}
          max={choisi?.quantite}
          step={1}
          required
          value={quantite}
          onInput={(e) => setQuantite((e.target as HTMLInputElement).value)}
        />
        <label for="vente-client">Client</label>
        <select id="vente-client" value={clientId} onChange={(e) => setClientId((e.target as HTMLSelectElement).value)}>
          <option value={ANONYME}>Client anonyme</option>
          {(clients.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.nom_complet}
            </option>
          ))}
        </select>
        <button class="btn btn-primary" type="submit" disabled={busy || !choisi}>
          Enregistrer la vente
        </button>
        <Message m={msg} />
      </form>
      <h2>Stocks locaux par magasin</h2>
      <Loading a={all} label="des stocks" />
      <div class="grid">
        {(all.data ?? []).map((m) => (
          <div class="card" key={m.magasin_id}>
            <h3>{m.nom_magasin}</h3>
            {m.stocks.length === 0 ? (
              <p>Aucun stock.</p>
            ) : (
              <ul>
                {m.stocks.map((s) => (
                  <li key={s.produit_id}>
                    {s.nom_produit}: {s.quantite}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))}
      </div>
    </Page>
  );
}

function DemandeForm({ stock, magasins: ms, onDone }: { stock: Stock; magasins: Magasin[]; onDone: () => void }) {
  const [magasinId, setMagasinId] = useState(ms[0]?.id ?? '');
  const [quantite, setQuantite] = useState('5');
  const { msg, busy, run } = useAction();
  const id = stock.produit_id;
  const submit = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      await gw('POST', `${P.inventaire}/demandes/`, {
        body: { produit_id: stock.produit_id, magasin_id: magasinId, quantite: Number(quantite) },
      });
      onDone();
      return 'Demande créée: elle attend sa validation.';
    });
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Demande de réapprovisionnement: ${stock.nom_produit}`}>
      <label for={`dm-${id}`}>Magasin</label>
      <select id={`dm-${id}`} value={magasinId} onChange={(e) => setMagasinId((e.target as HTMLSelectElement).value)}>
        {ms.map((m) => (
          <option key={m.id} value={m.id}>
            {m.nom}
          </option>
        ))}
      </select>
      <label for={`dq-${id}`}>Quantité</label>
      <input
        id={`dq-${id}`}
        type="number"
        min={1}
        max={stock.quantite}
        required
        value={quantite}
        onInput={(e) => setQuantite((e.target as HTMLInputElement).value)}
      />
      <button class="btn" type="submit" disabled={busy}>
        Créer la demande
      </button>
      <Message m={msg} />
    </form>
  );
}

/** UC2: central stock and a replenishment request per store ("déjà en attente" is information). */
export function Stocks() {
  const a = useAsync(() => Promise.all([get<{ stocks: Stock[] }>(`${P.inventaire}/stocks-centraux/`), magasins()]), []);
  const [central, ms] = a.data ?? [{ stocks: [] }, []];
  return (
    <Page title="Stock central & réapprovisionnement">
      <Loading a={a} label="du stock central" />
      <div class="table-wrap">
        <table>
          <caption>Stock central</caption>
          <thead>
            <tr>
              <th scope="col">Produit</th>
              <th scope="col">Quantité centrale</th>
              <th scope="col">Demande de réapprovisionnement</th>
            </tr>
          </thead>
          <tbody>
            {central.stocks.map((s) => (
              <tr key={s.produit_id}>
                <th scope="row">{s.nom_produit}</th>
                <td class="num" data-testid={`central-${s.produit_id}`}>
                  {s.quantite}
                </td>
                <td>
                  <DemandeForm stock={s} magasins={ms} onDone={a.reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Page>
  );
}

function ProduitForm({ initial, onSaved, onCancel }: { initial?: Produit; onSaved: () => void; onCancel?: () => void }) {
  const [nom, setNom] = useState(initial?.nom ?? '');
  const [categorie, setCategorie] = useState(initial?.categorie ?? '');
  const [prix, setPrix] = useState(initial ? String(initial.prix) : '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const { msg, busy, run } = useAction();
  const p = initial ? `e-${initial.id}` : 'n';
  const submit = (e: Event) => {
    e.preventDefault();
    const body = { nom: nom.trim(), categorie, prix: Number(prix), description: description.trim() };
    return run(async () => {
      if (initial) await gw('PATCH', `${P.catalogue}/produits/${initial.id}/`, { body });
      else await gw('POST', `${P.catalogue}/ajouter/`, { body });
      if (!initial) {
        setNom('');
        setPrix('');
        setDescription('');
      }
      onSaved();
      return initial ? 'Produit modifié.' : 'Produit ajouté au catalogue.';
    });
  };
  return (
    <form class="card form" onSubmit={submit} aria-label={initial ? `Modifier ${initial.nom}` : 'Ajouter un produit'}>
      <h2>{initial ? `Modifier « ${initial.nom} »` : 'Ajouter un produit'}</h2>
      <label for={`${p}-nom`}>Nom</label>
      <input
        id={`${p}-nom`}
        required
        minLength={2}
        maxLength={100}
        value={nom}
        onInput={(e) => setNom((e.target as HTMLInputElement).value)}
      />
      <label for={`${p}-cat`}>Catégorie</label>
      <select id={`${p}-cat`} required value={categorie} onChange={(e) => setCategorie((e.target as HTMLSelectElement).value)}>
        <option value="">— choisir —</option>
        {CATEGORIES.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <label for={`${p}-prix`}>Prix ($)</label>
      <input
        id={`${p}-prix`}
        type="number"
        min={0.01}
        max={999999.99}
        step={0.01}
        required
        value={prix}
        onInput={(e) => setPrix((e.target as HTMLInputElement).value)}
      />
      <label for={`${p}-desc`}>Description</label>
      <textarea id={`${p}-desc`} rows={2} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
      <div class="row">
        <button class="btn btn-primary" type="submit" disabled={busy}>
          {initial ? 'Enregistrer' : 'Ajouter le produit'}
        </button>
        {onCancel && (
          <button class="btn" type="button" onClick={onCancel}>
            Fermer
          </button>
        )}
      </div>
      <Message m={msg} />
    </form>
  );
}

/** UC4: list, add, edit (a stub in the reference) and deactivate products. */
export function Produits() {
  const [tous, setTous] = useState(false);
  const [edit, setEdit] = useState<Produit | null>(null);
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const a = useAsync(
    async () =>
      (await get<{ data: { produits: Produit[] } }>(`${P.catalogue}/rechercher/?actifs_seulement=${tous ? 'false' : 'true'}`)).data
        .produits,
    [tous],
  );
  const desactiver = async (p: Produit) => {
    setMsg(null);
    try {
      await gw('PATCH', `${P.catalogue}/produits/${p.id}/`, { body: { actif: !p.actif } });
      setMsg(success(`${p.nom}: ${p.actif ? 'désactivé' : 'réactivé'}.`));
      a.reload();
    } catch (err) {
      setMsg(toMessage(err));
    }
  };
  return (
    <Page title="Gérer les produits">
      <ProduitForm onSaved={a.reload} />
      {edit && <ProduitForm key={edit.id} initial={edit} onSaved={a.reload} onCancel={() => setEdit(null)} />}
      <p>
        <label class="check">
          <input type="checkbox" checked={tous} onChange={(e) => setTous((e.target as HTMLInputElement).checked)} /> Afficher aussi les
          produits désactivés
        </label>
      </p>
      <Message m={msg} />
      <Loading a={a} label="des produits" />
      <div class="table-wrap">
        <table>
          <caption>Produits du catalogue</caption>
          <thead>
            <tr>
              <th scope="col">Nom</th>
              <th scope="col">Catégorie</th>
              <th scope="col">Prix ($)</th>
              <th scope="col">Description</th>
              <th scope="col">État</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(a.data ?? []).map((p) => (
              <tr key={p.id}>
                <th scope="row">{p.nom}</th>
                <td>{p.categorie ?? '—'}</td>
                <td class="num">{p.prix.toFixed(2)}</td>
                <td>{p.description ?? ''}</td>
                <td>{p.actif ? '✔ Actif' : '✖ Désactivé'}</td>
                <td class="actions">
                  <button class="btn" type="button" onClick={() => setEdit(p)} aria-label={`Modifier ${p.nom}`}>
                    Modifier
                  </button>
                  <button
                    class="btn"
                    type="button"
                    onClick={() => desactiver(p)}
                    aria-label={`${p.actif ? 'Désactiver' : 'Réactiver'} ${p.nom}`}
                  >
                    {p.actif ? 'Désactiver' : 'Réactiver'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Page>
  );
}

function DemandeRow({ d, onDone }: { d: Demande; onDone: (m: UiMessage) => void }) {
  const [motif, setMotif] = useState('');
  const { msg, busy, run } = useAction();
  // The outcome goes to the list (this row leaves it); only an error stays beside the row's buttons.
  const act = (kind: 'valider' | 'rejeter') =>
    run(async () => {
      if (kind === 'valider') await gw('POST', `${P.supply}/valider-demande/${d.id}/`, { body: {} });
      else await gw('POST', `${P.supply}/rejeter-demande/${d.id}/`, { body: { motif: motif.trim() || 'Rejeté par l’utilisateur' } });
      onDone(
        success(
          `Demande ${kind === 'valider' ? 'validée' : 'rejetée'}: ${d.quantite} × ${d.nom_produit ?? d.produit_id} pour ${d.nom_magasin ?? d.magasin_id}.`,
        ),
      );
      return null;
    });
  const id = d.id;
  return (
    <tr>
      <th scope="row">{d.nom_produit ?? d.produit_id}</th>
      <td>{d.nom_magasin ?? d.magasin_id}</td>
      <td class="num">{d.quantite}</td>
      <td>
        <div class="inline-form">
          <button
            class="btn btn-primary"
            type="button"
            disabled={busy}
            onClick={() => act('valider')}
            aria-label={`Valider la demande ${d.nom_produit ?? ''} ${d.nom_magasin ?? ''}`}
          >
            ✔ Valider
          </button>
          <label for={`motif-${id}`}>Motif du rejet</label>
          <input id={`motif-${id}`} maxLength={500} value={motif} onInput={(e) => setMotif((e.target as HTMLInputElement).value)} />
          <button
            class="btn"
            type="button"
            disabled={busy}
            onClick={() => act('rejeter')}
            aria-label={`Rejeter la demande ${d.nom_produit ?? ''} ${d.nom_magasin ?? ''}`}
          >
            ✖ Rejeter
          </button>
        </div>
        <Message m={msg} />
      </td>
    </tr>
  );
}

/** UC6: pending replenishment requests — validate, or reject with a reason; the stock change shows at once. */
export function Demandes() {
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const a = useAsync(
    () =>
      Promise.all([
        get<{ demandes: Demande[] }>(`${P.supply}/demandes-en-attente/`),
        magasinsStocks(),
        get<{ stocks: Stock[] }>(`${P.inventaire}/stocks-centraux/`),
      ]),
    [],
  );
  const [demandes, locaux, central] = a.data ?? [{ demandes: [] }, [], { stocks: [] }];
  const produits = new Set(demandes.demandes.map((d) => d.produit_id));
  return (
    <Page title="Valider les réapprovisionnements">
      <Message m={msg} />
      <Loading a={a} label="des demandes" />
      {a.data && demandes.demandes.length === 0 && <p>Aucune demande en attente.</p>}
      {demandes.demandes.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption>Demandes en attente</caption>
            <thead>
              <tr>
                <th scope="col">Produit</th>
                <th scope="col">Magasin</th>
                <th scope="col">Quantité</th>
                <th scope="col">Décision</th>
              </tr>
            </thead>
            <tbody>
              {demandes.demandes.map((d) => (
                <DemandeRow
                  key={d.id}
                  d={d}
                  onDone={(m) => {
                    setMsg(m);
                    a.reload();
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Stocks</h2>
      <div class="grid">
        <div class="card">
          <h3>Stock central</h3>
          <ul>
            {central.stocks.map((s) => (
              <li key={s.produit_id} data-testid={`central-${s.produit_id}`}>
                {s.nom_produit}: {s.quantite}
              </li>
            ))}
          </ul>
        </div>
        {locaux.map((m) => (
          <div class="card" key={m.magasin_id}>
            <h3>{m.nom_magasin}</h3>
            <ul>
              {m.stocks.map((s) => (
                <li
                  key={s.produit_id}
                  data-testid={`local-${m.magasin_id}-${s.produit_id}`}
                  class={produits.has(s.produit_id) ? 'em' : undefined}
                >
                  {s.nom_produit}: {s.quantite}
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </Page>
  );
}
