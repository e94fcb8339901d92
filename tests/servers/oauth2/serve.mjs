// Test-only OAuth2 / OIDC server for the connectors auth tests.
//
// Usage: node serve.mjs <port> <control-port> [--expires-in N] [--strict]
//
// Both ports are bound on 127.0.0.1 only.
//
// <port>          oauth2-mock-server (issuer http://127.0.0.1:<port>):
//                 /token, /authorize, /jwks, /userinfo, /revoke, /introspect,
//                 /.well-known/openid-configuration
// <control-port>  small JSON control API used by tests/servers/oauth2_server.py:
//   GET  /requests  -> JSON array of recorded token-endpoint requests, in order
//   POST /clear     -> forget the recorded requests
//   POST /reset     -> forget records, issued codes/refresh tokens; restore startup config
//   GET  /config    -> {"expires_in": N, "strict": bool}
//   POST /config    -> JSON body {"expires_in"?: N, "strict"?: bool}; applies to later tokens
//   POST /seed      -> JSON body {"refresh_token": "..."}: mark a refresh token as issued
//
// --expires-in N  lifetime of the tokens issued (expires_in and JWT exp); default 3600.
// --strict        refresh tokens must have been issued by this server and not used
//                 before (rotation: each one is single-use), and authorization codes
//                 must come from /authorize and are single-use; otherwise 400 invalid_grant.
//                 Without it (the library's behaviour) any value is accepted.
//
// The library already returns a fresh random refresh_token (randomUUID) on every
// non-client_credentials token response, so rotation needs no help from here.
// Every JWT gets a random "jti" so that no two access tokens are equal.

import { createServer } from 'node:http';
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { OAuth2Server } from 'oauth2-mock-server';

const HOST = '127.0.0.1';

function parseArgs(argv) {
  const positional = [];
  const opts = { expiresIn: 3600, strict: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--strict') opts.strict = true;
    else if (arg === '--expires-in') opts.expiresIn = toLifetime(argv[(i += 1)]);
    else positional.push(arg);
  }
  if (positional.length !== 2) {
    throw new Error('usage: node serve.mjs <port> <control-port> [--expires-in N] [--strict]');
  }
  return { port: toPort(positional[0]), controlPort: toPort(positional[1]), ...opts };
}

function toPort(value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`invalid port: ${value}`);
  return n;
}

function toLifetime(value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid expires_in: ${value}`);
  return n;
}

/** Decodes an `Authorization: Basic` header into {id, secret}, or null. */
function basicCredentials(req) {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^\s*basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) return null;
  // RFC 6749 section 2.3.1: client id and secret are form-urlencoded before base64.
  const unescape = (s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, sep)), secret: unescape(decoded.slice(sep + 1)) };
}

const str = (v) => (typeof v === 'string' ? v : null);

const args = parseArgs(process.argv.slice(2));
const defaults = { expiresIn: args.expiresIn, strict: args.strict };
const config = { ...defaults };

let records = [];
const issuedRefreshTokens = new Map(); // token -> used?
const issuedCodes = new Map(); // code -> used?

function resetState() {
  records = [];
  issuedRefreshTokens.clear();
  issuedCodes.clear();
  Object.assign(config, defaults);
}

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
// The library would name the issuer http://localhost:<port> for a 127.* host; keep it
// on the address we actually listen on (localhost may resolve to ::1 first).
server.issuer.url = `http://${HOST}:${args.port}`;

const service = server.service;

service.on('beforeTokenSigning', (token) => {
  // Applies to the access token and to the id_token.
  token.payload.exp = token.payload.iat + config.expiresIn;
  // RS256 is deterministic: without a unique claim, two tokens minted in the same
  // second with the same claims would be byte-identical.
  token.payload.jti = randomUUID();
});

service.on('beforeAuthorizeRedirect', (redirect) => {
  const code = redirect.url.searchParams.get('code');
  if (code) issuedCodes.set(code, false);
});

function rejection(description) {
  return { error: 'invalid_grant', error_description: description };
}

service.on('beforeResponse', (response, req) => {
  const body = req.body && typeof req.body === 'object' ? req.body : {};
  const grantType = str(body.grant_type);
  const presentedRefresh = str(body.refresh_token);
  const presentedCode = str(body.code);

  if (response.statusCode === 200) {
    response.body.expires_in = config.expiresIn;
    if (config.strict && grantType === 'refresh_token') {
      const used = presentedRefresh === null ? undefined : issuedRefreshTokens.get(presentedRefresh);
      if (used === undefined) {
        response.statusCode = 400;
        response.body = rejection('refresh_token was not issued by this server');
      } else if (used) {
        response.statusCode = 400;
        response.body = rejection('refresh_token was already used');
      } else {
        issuedRefreshTokens.set(presentedRefresh, true);
      }
    }
    if (config.strict && grantType === 'authorization_code') {
      const used = presentedCode === null ? undefined : issuedCodes.get(presentedCode);
      if (used === undefined) {
        response.statusCode = 400;
        response.body = rejection('code was not issued by this server');
      } else if (used) {
        response.statusCode = 400;
        response.body = rejection('code was already used');
      } else {
        issuedCodes.set(presentedCode, true);
      }
    }
  }

  const ok = response.statusCode === 200;
  const newRefresh = ok ? str(response.body.refresh_token) : null;
  if (newRefresh !== null) issuedRefreshTokens.set(newRefresh, false);

  const basic = basicCredentials(req);
  records.push({
    time: Date.now() / 1000,
    method: req.method,
    path: req.path ?? req.url,
    content_type: req.headers['content-type'] ?? null,
    grant_type: grantType,
    client_id: str(body.client_id),
    client_secret: str(body.client_secret),
    refresh_token: presentedRefresh,
    code: presentedCode,
    code_verifier: str(body.code_verifier),
    redirect_uri: str(body.redirect_uri),
    scope: str(body.scope),
    basic_auth: basic !== null,
    basic_auth_client_id: basic ? basic.id : null,
    basic_auth_client_secret: basic ? basic.secret : null,
    form: { ...body },
    status: response.statusCode,
    error: ok ? null : (str(response.body?.error) ?? null),
    response_access_token: ok ? str(response.body.access_token) : null,
    response_refresh_token: newRefresh,
    response_expires_in: ok && typeof response.body.expires_in === 'number' ? response.body.expires_in : null,
  });
});

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function send(res, status, payload) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

const control = createServer(async (req, res) => {
  try {
    const route = `${req.method} ${new URL(req.url, 'http://x').pathname}`;
    switch (route) {
      case 'GET /requests':
        return send(res, 200, records);
      case 'POST /clear':
        records = [];
        return send(res, 200, { ok: true });
      case 'POST /reset':
        resetState();
        return send(res, 200, { ok: true });
      case 'GET /config':
        return send(res, 200, { expires_in: config.expiresIn, strict: config.strict });
      case 'POST /config': {
        const body = await readJson(req);
        if ('expires_in' in body) config.expiresIn = toLifetime(body.expires_in);
        if ('strict' in body) config.strict = Boolean(body.strict);
        return send(res, 200, { expires_in: config.expiresIn, strict: config.strict });
      }
      case 'POST /seed': {
        const body = await readJson(req);
        const token = str(body.refresh_token);
        if (!token) return send(res, 400, { error: 'refresh_token required' });
        issuedRefreshTokens.set(token, false);
        return send(res, 200, { ok: true });
      }
      default:
        return send(res, 404, { error: 'not found' });
    }
  } catch (err) {
    return send(res, 400, { error: String(err?.message ?? err) });
  }
});

await new Promise((resolve, reject) => {
  control.once('error', reject);
  control.listen(args.controlPort, HOST, resolve);
});
await server.start(args.port, HOST);
console.log(JSON.stringify({ issuer: server.issuer.url, control: `http://${HOST}:${args.controlPort}` }));

// Nothing to flush: exit at once rather than wait for keep-alive connections to drain.
const shutdown = () => process.exit(0);
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
