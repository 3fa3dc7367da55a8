/** correlation-id: keep a sane incoming id, otherwise make one; it goes upstream and back. */
import { randomUUID } from 'node:crypto';
import type { GatewayModel } from '../../domain/model.ts';
import type { Plugin } from './plugin.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlationId(config: GatewayModel['plugins']['correlationId']): Plugin & { header: string } {
  const header = config?.headerName.toLowerCase() ?? 'x-request-id';
  const echo = !config || config.echoDownstream;
  const echoName = config?.headerName ?? 'X-Request-Id';
  return {
    name: 'correlation-id',
    header,
    rewrite(req, ctx) {
      const given = req.headers[header];
      ctx.reqId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      if (echo) ctx.headers.push(echoName, ctx.reqId);
    },
    access(call) {
      call.upstreamHeaders[header] = call.ctx.reqId;
      return 'next';
    },
  };
}
