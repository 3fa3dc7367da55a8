/** The session cookie: read from the Cookie header, written HttpOnly + SameSite=Strict (+ Secure over https). */
import type { FastifyRequest } from 'fastify';
import { COOKIE_NAME } from '../domain/session.ts';

export function readCookie(req: FastifyRequest, nom = COOKIE_NAME): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === nom) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether the browser reached us over https (directly, or through a proxy such as the gateway saying so). */
export function overHttps(req: FastifyRequest): boolean {
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return req.protocol === 'https' || proto === 'https';
}

export function sessionCookie(id: string, req: FastifyRequest): string {
  return `${COOKIE_NAME}=${id}; HttpOnly; SameSite=Strict; Path=/${overHttps(req) ? '; Secure' : ''}`;
}

export function clearedCookie(req: FastifyRequest): string {
  return `${COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${overHttps(req) ? '; Secure' : ''}`;
}
