/**
 * ecommerce's answers to a refusal: each code's status and message in one table (the reference's wording), the body
 * `{...context, error, details}` (context keeps the reference's envelope keys: `success: false`, `valid: false`).
 */
import type { DomainError } from '../../platform/errors.ts';
import { RegleRefusee, type CodeErreur } from '../application/erreurs.ts';

type Message = string | ((e: DomainError<CodeErreur>) => string);

const champ = (e: DomainError, nom: string): string => String((e.details as Record<string, unknown> | null)?.[nom]);
const regle = (e: DomainError): string => (e instanceof RegleRefusee ? e.regle : e.code);

const ERREURS: Readonly<Record<CodeErreur, { status: number; message: Message }>> = {
  REGLE_METIER: { status: 400, message: regle },
  DONNEES_INVALIDES: { status: 400, message: (e) => `Données invalides: ${regle(e)}` },
  ADRESSE_INVALIDE: { status: 400, message: (e) => `Adresse de livraison invalide: ${regle(e)}` },
  // The validation endpoint's answers (`valid: false`) name the client, as the reference's do.
  CLIENT_INTROUVABLE: {
    status: 404,
    message: (e) => (e.context.valid === false ? `Client ${champ(e, 'client_id')} introuvable` : 'Client introuvable'),
  },
  CLIENT_INACTIF: {
    status: 400,
    message: (e) => (e.context.valid === false ? `Client ${champ(e, 'client_id')} inactif` : 'Client inactif'),
  },
  EMAIL_DEJA_UTILISE: { status: 409, message: (e) => `L'email ${champ(e, 'email')} est déjà utilisé par un autre client` },
  PRODUIT_INEXISTANT: { status: 400, message: 'Produit inexistant dans le catalogue' },
  PRODUIT_INACTIF: { status: 400, message: 'Produit inactif dans le catalogue' },
  PRODUIT_INEXISTANT_OU_INACTIF: {
    status: 404,
    message: (e) => `Produit ${champ(e, 'produit_id')} inexistant ou inactif dans le catalogue`,
  },
  PRODUIT_HORS_PANIER: { status: 404, message: (e) => `Produit ${champ(e, 'produit_id')} non trouvé dans le panier` },
  PANIER_INTROUVABLE: { status: 404, message: 'Aucun panier trouvé pour ce client' },
  PANIER_MODIFIE: { status: 409, message: 'Panier modifié pendant le checkout' },
  STOCK_ECOMMERCE_INSUFFISANT: {
    status: 400,
    message: (e) => `Stock e-commerce insuffisant. Disponible: ${champ(e, 'disponible')}, demandé: ${champ(e, 'demande')}`,
  },
  STOCK_INSUFFISANT: { status: 409, message: 'Stock insuffisant' },
  CLE_IDEMPOTENCE_REUTILISEE: { status: 409, message: 'Idempotency-Key déjà utilisée pour une autre requête' },
  BASE_INDISPONIBLE: { status: 503, message: 'Base de données indisponible, commande non enregistrée' },
  ENREGISTREMENT_ECHOUE: { status: 500, message: "Erreur lors de l'enregistrement de la commande" },
  SERVICE_INDISPONIBLE: { status: 503, message: (e) => `Service ${champ(e, 'service')} indisponible` },
  REPONSE_INATTENDUE: { status: 502, message: (e) => `Réponse inattendue du service ${champ(e, 'service')}` },
};

export function errorAnswer(e: DomainError<CodeErreur>): { status: number; body: Record<string, unknown> } {
  const { status, message } = ERREURS[e.code];
  return { status, body: { ...e.context, error: typeof message === 'string' ? message : message(e), details: e.details } };
}
