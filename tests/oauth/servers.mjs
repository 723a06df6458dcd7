// Local OAuth 2.0 / OpenID Connect servers for the test suite.
//
// Starts, on 127.0.0.1 and free ports:
//   - three oauth2-mock-server instances standing in for Google (OIDC), X and
//     Facebook (plain OAuth 2.0; their user endpoints are served through the
//     mock's `endpoints` option: /2/users/me and /me);
//   - an oidc-provider instance ("corp"), a real OpenID Provider that checks
//     client secrets, redirect URIs, codes and PKCE;
//   - a small control server: POST /scenario/<name> with a JSON object sets
//     how that provider answers from then on (see applyClaims and friends).
// Prints one JSON line with every address once all are listening, and exits
// on SIGTERM or when its standard input closes (the test process went away).

import http from "node:http";
import { OAuth2Server } from "oauth2-mock-server";
import Provider from "oidc-provider";

const HOST = "127.0.0.1";
const APP_BASE = process.env.BLOG_TEST_APP_BASE || "http://localhost";
const CORP_CLIENT_ID = process.env.BLOG_TEST_CORP_CLIENT_ID || "blog-corp";
const CORP_CLIENT_SECRET = process.env.BLOG_TEST_CORP_CLIENT_SECRET || "corp-secret";

// provider name -> scenario object set by the tests
const scenarios = {};

function withoutNulls(target, changes) {
  for (const [key, value] of Object.entries(changes || {})) {
    if (value === null) delete target[key];
    else target[key] = value;
  }
}

function forgePayload(jwt) {
  // Change the payload but keep the original signature: a forged token.
  const [header, payload, signature] = jwt.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  claims.sub = `${claims.sub}-forged`;
  const forged = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return [header, forged, signature].join(".");
}

async function startMock(name, endpoints) {
  const server = new OAuth2Server(undefined, undefined, { endpoints });
  await server.issuer.keys.generate("RS256");
  const service = server.service;

  service.on("beforeTokenSigning", (token) => {
    // The mock signs two tokens per exchange; only the id_token has no scope.
    if ("scope" in token.payload) return;
    withoutNulls(token.payload, (scenarios[name] || {}).claims);
  });
  service.on("beforeResponse", (response) => {
    const scenario = scenarios[name] || {};
    if (scenario.token_error) {
      response.statusCode = 400;
      response.body = { error: scenario.token_error };
      return;
    }
    if (scenario.forge_signature && response.body.id_token) {
      response.body.id_token = forgePayload(response.body.id_token);
    }
    if (scenario.drop_id_token) delete response.body.id_token;
  });
  service.on("beforeUserinfo", (response) => {
    const scenario = scenarios[name] || {};
    if (scenario.userinfo !== undefined) response.body = scenario.userinfo;
    if (scenario.userinfo_status) response.statusCode = scenario.userinfo_status;
  });

  await server.start(0, HOST);
  server.issuer.url = `http://${HOST}:${server.address().port}`;
  return server;
}

async function startCorp() {
  const port = await freePort();
  const issuer = `http://${HOST}:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CORP_CLIENT_ID,
        client_secret: CORP_CLIENT_SECRET,
        redirect_uris: [`${APP_BASE}/login/corp/callback`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username", "picture"],
    },
    pkce: { required: () => true },
    cookies: { keys: ["blog-tests-only"] },
    async findAccount(ctx, id) {
      const accounts = (scenarios.corp || {}).accounts || {};
      const claims = {
        sub: id,
        email: `${id}@corp.example`,
        email_verified: true,
        name: `Corp ${id}`,
        preferred_username: id,
        ...(accounts[id] || {}),
      };
      return { accountId: id, claims: async () => claims };
    },
  });
  // Quiet the provider's own error logging; the tests look at the results.
  provider.on("server_error", () => {});
  const server = http.createServer(provider.callback());
  await new Promise((resolve) => server.listen(port, HOST, resolve));
  return { server, issuer };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

function startControl() {
  const server = http.createServer((req, res) => {
    const match = req.url.match(/^\/scenario\/([a-z0-9_-]+)$/);
    if (req.method !== "POST" || !match) {
      res.writeHead(404).end();
      return;
    }
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      try {
        scenarios[match[1]] = JSON.parse(body || "{}");
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server)));
}

const mocks = {
  google: await startMock("google", {}),
  twitter: await startMock("twitter", { userinfo: "/2/users/me" }),
  facebook: await startMock("facebook", { userinfo: "/me" }),
};
const corp = await startCorp();
const control = await startControl();

const ready = { control: `http://${HOST}:${control.address().port}`, corp: corp.issuer };
for (const [name, server] of Object.entries(mocks)) ready[name] = server.issuer.url;
process.stdout.write(`${JSON.stringify(ready)}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(Object.values(mocks).map((server) => server.stop()));
  corp.server.closeAllConnections();
  control.closeAllConnections();
  corp.server.close();
  control.close();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
