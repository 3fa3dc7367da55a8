/**
 * key-auth, on the services it guards (per service, model.ts `keyAuthGuards`): the first non-empty key header
 * names the consumer, whose username and custom id go upstream; per-service hide_credentials (`hidesCredentials`)
 * keeps the key from the upstream.
 */
import { hidesCredentials, keyAuthGuards, type GatewayModel } from '../../domain/model.ts';
import type { KeyRing } from '../auth.ts';
import { kongError, MESSAGES, type Plugin } from './plugin.ts';

type KeyAuthConfig = NonNullable<GatewayModel['plugins']['keyAuth']>;

const CHALLENGE = { 'www-authenticate': 'Key realm="kong"' };

export function keyAuth(config: KeyAuthConfig, keyRing: KeyRing | undefined, consumers: GatewayModel['consumers']): Plugin {
  const keyHeaders = config.keyNames.map((k) => k.toLowerCase());
  const customIds = new Map(consumers.map((c) => [c.username, c.customId]));
  return {
    name: 'key-auth',
    access(call) {
      const service = call.match.route.service;
      // hide_credentials applies whether or not this service's routes are guarded (as before the split).
      if (hidesCredentials(config, service)) call.hidden = keyHeaders;
      if (!keyRing || !keyAuthGuards(config, service)) return 'next';
      let key: string | undefined;
      for (const h of keyHeaders) {
        const v = call.req.headers[h];
        if (typeof v === 'string' && v !== '') {
          key = v;
          break;
        }
      }
      if (key === undefined) return kongError(call.res, call.ctx, 401, MESSAGES.noKey, CHALLENGE);
      const consumer = keyRing.authenticate(key);
      if (consumer === undefined) return kongError(call.res, call.ctx, 401, MESSAGES.badKey, CHALLENGE);
      call.ctx.consumer = consumer;
      call.consumer = consumer;
      call.upstreamHeaders['x-consumer-username'] = consumer;
      const customId = customIds.get(consumer);
      if (customId) call.upstreamHeaders['x-consumer-custom-id'] = customId;
      return 'next';
    },
  };
}
