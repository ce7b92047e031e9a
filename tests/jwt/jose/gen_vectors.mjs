// Makes tests/vectors/jwt/eddsa.json with jose (npm): an Ed25519 key from a fixed seed (RFC 8032's
// test 1 key, which RFC 8037 appendix A uses too), its public JWK, and a session token jose signs
// with it. tests/jwt/jwt_test.cc verifies the token at the fixed "now" and signs the same claims
// byte for byte; tests/jwt/jose_interop_test.cc checks that this script still makes the file.
//   node gen_vectors.mjs             prints the vectors
//   node gen_vectors.mjs --check F   exits 1 unless F is exactly what jose makes
// The claims are listed with sorted keys, so jose's JSON.stringify writes what Lucid's sign() writes.
import crypto from "node:crypto";
import fs from "node:fs";
import { SignJWT, exportJWK, importPKCS8 } from "jose";

const seedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const kid = "gateway-2026-01";
const issuer = "lucid-sessions-gateway";
const audience = "lucid-sessions-index";
const iat = 1767225600; // 2026-01-01T00:00:00Z
const claims = {
  aud: audience,
  exp: iat + 3600,
  iat,
  iss: issuer,
  jti: "5f0c2b8e-3d41-4a7e-9c16-0e2d8f4b7a93",
  scope: "session:write index:read",
  sub: "node-edge-eu-1",
};

// PKCS#8 of an Ed25519 seed (RFC 8410): the fixed prefix, then the 32 bytes.
const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seedHex, "hex")]);
const pem = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" });
const privateKey = await importPKCS8(pem, "EdDSA", { extractable: true });
const { x } = await exportJWK(privateKey);

const token = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" }).sign(privateKey);
const joseVersion = JSON.parse(fs.readFileSync(new URL("node_modules/jose/package.json", import.meta.url))).version;

const vectors = {
  description: "Made by tests/jwt/jose/gen_vectors.mjs with jose (npm); docs/formats.md \"Session tokens (JWT, EdDSA)\".",
  jose: joseVersion,
  seed_hex: seedHex,
  jwk: { crv: "Ed25519", kid, kty: "OKP", x },
  claims,
  token,
  verify: { issuer, audience, now: iat + 60, leeway_seconds: 30, max_lifetime_seconds: 86400 },
};
const text = JSON.stringify(vectors, null, 2) + "\n";

const args = process.argv.slice(2);
if (args.length === 2 && args[0] === "--check") {
  if (fs.readFileSync(args[1], "utf8") !== text) {
    console.error(`${args[1]} differs from what jose ${joseVersion} makes: run node gen_vectors.mjs > ${args[1]}`);
    process.exit(1);
  }
  console.log(`${args[1]}: what jose ${joseVersion} makes`);
} else if (args.length === 0) {
  process.stdout.write(text);
} else {
  console.error("usage: gen_vectors.mjs [--check FILE]");
  process.exit(2);
}
