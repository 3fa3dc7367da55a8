/**
 * What the customer would be told about each step of their checkout (simulated e-mail, as the reference's
 * notification worker). Pure: an event in, a message out.
 */
import type { LigneReservation } from '../../../contracts/inventaire.ts';

export interface Message {
  channel: 'email';
  /** The client the message is for (the system knows clients by id; the address lives with ecommerce). */
  to: string;
  subject: string;
  body: string;
}

interface CheckoutLike {
  checkout_id: string;
  client_id: string;
  commande_id?: string;
  detail?: string;
  panier?: { nombre_articles: number; total: number };
  lignes?: LigneReservation[];
}

const money = (n: number) => `${n.toFixed(2)} $`;

export function messageFor(type: string, p: CheckoutLike): Message {
  const ref = p.checkout_id;
  const m = (subject: string, body: string): Message => ({ channel: 'email', to: p.client_id, subject, body });
  switch (type) {
    case 'CheckoutInitiated':
      return m(
        'Nous avons reçu votre commande',
        `Votre commande ${ref} est en cours de traitement` +
          (p.panier ? ` (${p.panier.nombre_articles} article(s), ${money(p.panier.total)}).` : '.'),
      );
    case 'StockReserved':
      return m('Vos articles sont réservés', `Les articles de votre commande ${ref} sont réservés.`);
    case 'StockReservationFailed':
      return m(
        'Articles indisponibles',
        `Nous ne pouvons pas réserver les articles de votre commande ${ref}: ${p.detail ?? 'stock insuffisant'}.`,
      );
    case 'OrderCreated':
      return m('Commande enregistrée', `Votre commande ${ref} est enregistrée sous le numéro ${p.commande_id ?? '?'}.`);
    case 'OrderCreationFailed':
      return m('Problème avec votre commande', `Votre commande ${ref} n'a pas pu être enregistrée; aucun montant ne vous sera facturé.`);
    case 'StockReleased':
      return m(
        'Réservation annulée',
        `La réservation des articles de votre commande ${ref} est annulée (${p.lignes?.length ?? 0} ligne(s)).`,
      );
    case 'CheckoutSucceeded':
      return m('Commande confirmée', `Merci! Votre commande ${ref} est confirmée (numéro ${p.commande_id ?? '?'}).`);
    case 'CheckoutFailed':
      return m('Commande échouée', `Votre commande ${ref} a échoué: ${p.detail ?? 'erreur'}.`);
    default:
      return m(`Mise à jour de votre commande`, `Votre commande ${ref}: ${type}.`);
  }
}
