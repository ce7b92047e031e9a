// Makes tests/vectors/sessions/mint_request.json with Node's own crypto, apart from Lucid's code: a
// session mint request (docs/formats.md "Session mint request") signed by a fixed-seed node key.
// tests/sessions/mint_request_test.cc reads it with lucid::sessions::read_mint_request and signs the
// same fields to the same bytes.
//   node gen_mint_request.mjs > mint_request.json
// Canonical JSON (RFC 8785) here is JSON.stringify with every object's keys sorted, which is RFC 8785
// for what a request holds (strings, integers below 2^53, arrays and objects).
import crypto from "node:crypto";

const seedHex = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"; // RFC 8032 test 2
const domain = "lucid-session-mint-request-v1\n";

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  return JSON.stringify(value);
}

const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seedHex, "hex")]);
const privateKey = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
const spki = crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" });
const nodeKey = spki.subarray(spki.length - 32).toString("hex");

const policy = {
  name: "lucid-privacy-standard",
  version: 3,
  shield: { blur_faces: true, mask_regions: ["taskbar", "notifications"], preset: "strict" },
  retention_days: 30,
  region: "eu-zürich",
};
const request = {
  format: "lucid.session-mint-request",
  node_key: nodeKey,
  nonce: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  policy,
  timestamp_ms: 1767225600000,
  version: 1,
};
const signature = crypto.sign(null, Buffer.from(domain + canonical(request), "utf8"), privateKey).toString("hex");
const envelope = canonical({ request, signature });

process.stdout.write(
  JSON.stringify(
    {
      description: "Made by tests/vectors/sessions/gen_mint_request.mjs with node:crypto; docs/formats.md \"Session mint request\".",
      node: process.version,
      seed_hex: seedHex,
      node_key: nodeKey,
      envelope,
    },
    null,
    2,
  ) + "\n",
);
