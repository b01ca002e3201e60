import type { NextFunction, Request, Response } from "express";
import { setSecurityHeaders } from "./security.server";

// What reaches Remix must be a request it can build (a method undici's Request accepts, a host
// that makes a URL); whatever goes wrong before or around it is answered here, in French, with the
// security headers and never a stack trace, whatever NODE_ENV says.

/** The methods our routes answer (loaders, actions, fetchers); undici refuses TRACE, TRACK and CONNECT. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

class HttpError extends Error {
  constructor(
    public status: number,
    public headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export function methodGuard() {
  return (req: Request, _res: Response, next: NextFunction) => {
    next(METHODS.includes(req.method) ? undefined : new HttpError(405, { Allow: METHODS.join(", ") }));
  };
}

// A name or IPv4 address, or an IPv6 address in brackets, and an optional port.
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)(?::(\d{1,5}))?$/i;

export function isValidHost(host: string): boolean {
  const match = HOST.exec(host);
  if (!match || (match[1] !== undefined && Number(match[1]) > 65535)) return false;
  return URL.canParse(`http://${host}/`);
}

/**
 * One host for the whole request: X-Forwarded-Host only from a trusted proxy (TRUST_PROXY), else
 * Host. It becomes the Host header, so that the origin check and Remix (whose adapter reads
 * X-Forwarded-Host's port whatever the setting) see the same one. One that makes no URL is a 400.
 */
export function hostGuard() {
  return (req: Request, _res: Response, next: NextFunction) => {
    const trusted = (req.app.get("trust proxy fn") as (address: string | undefined, hop: number) => boolean)(req.socket.remoteAddress, 0);
    const forwarded = trusted ? req.get("x-forwarded-host")?.split(",")[0].trim() : undefined;
    delete req.headers["x-forwarded-host"];
    const host = forwarded || req.headers.host;
    // HTTP/1.0 allows no Host at all (some health checks): nothing to check then.
    if (host === undefined) return next();
    // X-Forwarded-Proto from a trusted proxy becomes the URL's scheme: only ours make sense.
    if (!isValidHost(host) || !["http", "https"].includes(req.protocol)) return next(new HttpError(400));
    req.headers.host = host;
    next();
  };
}

const PAGES: Record<number, [string, string]> = {
  400: ["Requête invalide", "Relais n'a pas pu lire cette requête."],
  404: ["Page introuvable", "Cette adresse ne correspond à aucune page de Relais."],
  405: ["Méthode non autorisée", "Relais n'accepte pas cette méthode HTTP ici."],
  413: ["Requête trop volumineuse", "Cette requête dépasse la taille acceptée par Relais."],
  416: ["Plage demandée invalide", "La partie demandée de ce fichier n'existe pas."],
  500: ["Erreur du serveur", "Relais a rencontré une erreur. Réessayez dans un instant."],
};

function statusOf(error: unknown): number {
  const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
  const code = Number(status ?? statusCode);
  return Number.isInteger(code) && code >= 400 && code <= 599 ? code : 500;
}

/**
 * The last handler: errors of express, of the static files (bad %-encoding, unsatisfiable Range),
 * of the guards above, and anything thrown before Remix answered.
 */
export function errorHandler({ dev }: { dev: boolean }) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = statusOf(error);
    if (status >= 500) console.error(`[relais] ${req.method} ${req.originalUrl} :`, error);
    // Too late for another answer: cut the connection rather than leave the client waiting.
    if (res.headersSent) return void req.socket.destroy();
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    setSecurityHeaders(req, res, { dev });
    if (error instanceof HttpError) for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    const [title, text] = PAGES[status] ?? (status < 500 ? PAGES[400] : PAGES[500]);
    res
      .status(status)
      .type("html")
      .set("Cache-Control", "no-store")
      .send(
        `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
          `<title>${title} · Relais</title></head><body><main><h1>${title} (${status})</h1>` +
          `<p>${text}</p><p><a href="/">Retour à l'accueil de Relais</a></p></main></body></html>`,
      );
  };
}
