// Lucid's session tokens (docs/formats.md "Session tokens (JWT, EdDSA)") through jose (npm), for
// tests/jwt/jose_interop_test.cc:
//   node jwt.mjs sign <pkcs8-or-jwk-file> <claims-json> [kid]
//       prints a token made by jose's SignJWT, header {"alg":"EdDSA","kid":kid,"typ":"JWT"}; the key file
//       is a PKCS#8 PEM or a private JWK (kid defaults to the JWK's own)
//   node jwt.mjs sign-hs256 <jwk-file> <claims-json>
//       prints an HS256 token keyed with the JWK's public x bytes (the algorithm-confusion forgery)
//   node jwt.mjs verify <jwk-file> <token|-> <iss> <aud> <now>
//       exits 0 (printing the payload) when jwtVerify accepts the token at <now> (seconds) with
//       Lucid's rules (EdDSA only, typ JWT, exp and iat required, 30 s tolerance), else 1 with jose's
//       reason; "-" reads the token from stdin, which keeps it out of argv
// Exit 2: wrong usage or an unreadable key file.
import fs from "node:fs";
import { SignJWT, importJWK, importPKCS8, jwtVerify } from "jose";

function usage() {
  console.error("usage: jwt.mjs sign <pkcs8-or-jwk-file> <claims-json> [kid] | sign-hs256 <jwk-file> <claims-json> |"
    + " verify <jwk-file> <token|-> <iss> <aud> <now>");
  process.exit(2);
}

function claimsFrom(text) {
  const claims = JSON.parse(text);
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw new Error("claims are not a JSON object");
  return claims;
}

async function signingKey(file, kid) {
  const text = fs.readFileSync(file, "utf8");
  if (text.startsWith("-----BEGIN")) {
    if (kid === undefined) throw new Error("a PKCS#8 key file needs the kid argument");
    return { key: await importPKCS8(text, "EdDSA"), kid };
  }
  const jwk = JSON.parse(text);
  return { key: await importJWK(jwk, "EdDSA"), kid: kid ?? jwk.kid };
}

async function main(argv) {
  const [command, ...args] = argv;
  if (command === "sign" && (args.length === 2 || args.length === 3)) {
    const { key, kid } = await signingKey(args[0], args[2]);
    const token = await new SignJWT(claimsFrom(args[1]))
      .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
      .sign(key);
    console.log(token);
    return 0;
  }
  if (command === "sign-hs256" && args.length === 2) {
    const jwk = JSON.parse(fs.readFileSync(args[0], "utf8"));
    const secret = Buffer.from(jwk.x, "base64url");
    const token = await new SignJWT(claimsFrom(args[1]))
      .setProtectedHeader({ alg: "HS256", kid: jwk.kid, typ: "JWT" })
      .sign(new Uint8Array(secret));
    console.log(token);
    return 0;
  }
  if (command === "verify" && args.length === 5) {
    const [jwkFile, tokenArg, issuer, audience, now] = args;
    if (!/^[0-9]+$/.test(now)) usage();
    const key = await importJWK(JSON.parse(fs.readFileSync(jwkFile, "utf8")), "EdDSA");
    const token = tokenArg === "-" ? fs.readFileSync(0, "utf8").trim() : tokenArg;
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["EdDSA"],
        typ: "JWT",
        issuer,
        audience,
        currentDate: new Date(Number(now) * 1000),
        clockTolerance: 30,
        requiredClaims: ["exp", "iat"],
      });
      console.log(JSON.stringify(payload));
      return 0;
    } catch (error) {
      console.error(`jose refused the token: ${error.code ?? error.name}: ${error.message}`);
      return 1;
    }
  }
  usage();
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
  console.error(`jwt.mjs: ${error.message}`);
  process.exit(2);
});
