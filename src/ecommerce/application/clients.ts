/** Client use cases: list, create, validate for an order. */
import { randomUUID } from 'node:crypto';
import { adresseComplete, nomComplet, normaliserClient, type NouveauClientInput } from '../domain/client.ts';
import { RegleMetierError } from '../domain/erreurs.ts';
import { RegleRefusee, refus } from './erreurs.ts';
import { EmailDejaUtiliseError, type ClientEnregistre, type EcommerceDeps } from './ports.ts';

export const adresseDuClient = (c: ClientEnregistre) => ({
  rue: c.adresse_rue,
  ville: c.adresse_ville,
  code_postal: c.adresse_code_postal,
  province: c.adresse_province,
  pays: c.adresse_pays,
});

export function clientDto(c: ClientEnregistre) {
  const adresse = adresseDuClient(c);
  return {
    id: c.id,
    nom_complet: nomComplet(c),
    email: c.email,
    telephone: c.telephone,
    adresse: { ...adresse, adresse_complete: adresseComplete(adresse) },
    date_creation: c.date_creation.toISOString(),
    date_modification: c.date_modification.toISOString(),
    actif: c.actif,
  };
}

export async function listerClients(deps: EcommerceDeps) {
  const clients = await deps.repo.listerClientsActifs();
  return { count: clients.length, clients: clients.map(clientDto) };
}

export async function creerClient(deps: EcommerceDeps, input: NouveauClientInput) {
  let normalise;
  try {
    normalise = normaliserClient(input);
  } catch (error) {
    if (!(error instanceof RegleMetierError)) throw error;
    throw new RegleRefusee(
      error.message.startsWith('Champ requis manquant') ? 'REGLE_METIER' : 'DONNEES_INVALIDES',
      error.message,
      error.details,
    );
  }
  try {
    const c = await deps.repo.creerClient(randomUUID(), normalise);
    return {
      success: true,
      client: {
        id: c.id,
        nom_complet: nomComplet(c),
        email: c.email,
        adresse_complete: adresseComplete(adresseDuClient(c)),
        telephone: c.telephone,
        date_creation: c.date_creation.toISOString(),
        actif: c.actif,
      },
    };
  } catch (error) {
    if (error instanceof EmailDejaUtiliseError) throw refus('EMAIL_DEJA_UTILISE', { champ: 'email', email: error.email });
    throw error;
  }
}

/** The client, or why it cannot order. */
export async function clientActif(deps: EcommerceDeps, clientId: string, extra: Record<string, unknown> = {}): Promise<ClientEnregistre> {
  const client = await deps.repo.trouverClient(clientId);
  if (!client) throw refus('CLIENT_INTROUVABLE', { client_id: clientId }, extra);
  if (!client.actif) throw refus('CLIENT_INACTIF', { client_id: clientId }, extra);
  return client;
}

export async function validerClient(deps: EcommerceDeps, clientId: string) {
  const client = await deps.repo.trouverClient(clientId);
  if (!client) throw refus('CLIENT_INTROUVABLE', { client_id: clientId }, { valid: false });
  if (!client.actif) throw refus('CLIENT_INACTIF', { client_id: clientId }, { valid: false });
  return {
    valid: true,
    client_id: client.id,
    nom_complet: nomComplet(client),
    email: client.email,
    adresse_livraison: adresseComplete(adresseDuClient(client)),
    telephone: client.telephone,
  };
}
