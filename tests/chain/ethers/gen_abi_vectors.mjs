// Makes tests/vectors/chain/abi.json with ethers (npm), the reference encoder of the Solidity ABI:
//   node gen_abi_vectors.mjs CONTRACTS_DIR            prints the vectors
//   node gen_abi_vectors.mjs CONTRACTS_DIR --check F  exits 1 unless F is exactly what ethers makes
// Values are written in the chain's JSON form (docs/chain.md): integers as decimal strings,
// addresses and bytes as lower-case 0x hex, tuples and arrays as arrays. Every value is decoded back
// with ethers and must round-trip, so the form is ethers' own.
import fs from "node:fs";
import path from "node:path";
import { AbiCoder, Interface, Indexed, Result, encodeBytes32String, version as ethersVersion } from "ethers";

const coder = AbiCoder.defaultAbiCoder();

// Our JSON form of a value ethers decoded.
function toJson(value) {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return /^0x[0-9a-fA-F]{40}$/.test(value) ? value.toLowerCase() : value;
  if (value instanceof Indexed) return value.hash;
  if (value instanceof Result || Array.isArray(value)) return Array.from(value, toJson);
  return value;
}

function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

const word = (n) => "0x" + n.toString(16).padStart(64, "0");
const filled = (byte, n) => "0x" + byte.repeat(n);

const codecCases = [
  { types: ["uint8", "uint256", "uint32"], values: ["255", (2n ** 256n - 1n).toString(), "0"] },
  { types: ["int8", "int256", "int64", "int256"], values: ["-128", (-(2n ** 255n)).toString(), "-1", (2n ** 255n - 1n).toString()] },
  { types: ["address", "bool", "bool"], values: ["0x00000000000000000000000000000000deadbeef", true, false] },
  { types: ["bytes1", "bytes16", "bytes32"], values: ["0xab", filled("cd", 16), filled("ef", 32)] },
  { types: ["bytes", "bytes", "bytes"], values: ["0x", filled("01", 32), filled("02", 33)] },
  { types: ["string", "string"], values: ["", "anchor ⚓ 锚 — über"] },
  { types: ["uint256[]", "uint256[]"], values: [[], ["1", "2", "3"]] },
  { types: ["string[]", "bytes32[2]"], values: [["a", "", "ccc"], [filled("11", 32), filled("22", 32)]] },
  { types: ["(uint8,string)[]"], values: [[["1", "one"], ["2", "two"]]] },
  { types: ["(bool,(string,uint16)[])", "uint64"], values: [[true, [["x", "7"], ["yz", "65535"]]], "18446744073709551615"] },
  { types: ["(bytes32,uint32)[2]", "string[2]"], values: [[[filled("aa", 32), "1"], [filled("bb", 32), "2"]], ["p", "q"]] },
  { types: ["uint256[][]"], values: [[["1"], [], ["2", "3"]]] },
];

function codecVectors() {
  return codecCases.map(({ types, values }) => {
    const encoded = coder.encode(types, values);
    const decoded = toJson(coder.decode(types, encoded));
    if (!same(decoded, values)) throw new Error(`round trip of ${types}: ${JSON.stringify(decoded)}`);
    return { types, values, encoded };
  });
}

// Arguments for each function and event of the contracts, in our JSON form.
const sessionId = "0x1b4e28ba2fa1411ab2c1a2f3e4d5c6b7";
const owner = word(0xed25519n);
// A ParamRegistry name is ethers' bytes32 string: the ASCII name, zero-padded (docs/formats.md).
const timelockBlocks = encodeBytes32String("timelockBlocks");
const governor = filled("a1", 32);
const callArguments = {
  AnchorRegistry: {
    anchor: [sessionId, filled("4d", 32), filled("52", 32), "3", "1796000000", owner],
    anchorChunks: [sessionId, "0", [filled("01", 32), filled("02", 32), filled("03", 32)]],
    getAnchor: [sessionId],
  },
  Governance: {
    propose: [timelockBlocks, "20"],
    vote: ["1", true],
    execute: ["1"],
    getProposal: ["1"],
    proposalCount: [],
    governors: [],
  },
  ParamRegistry: {
    get: [timelockBlocks],
    names: [],
    set: [encodeBytes32String("maxBlockTransactions"), "800"],
  },
};
// The payout routers: PR0 and PRKYC share every member; PRKYC's batches also carry a KYC root.
const batchId = filled("b7", 32);
const tronTx = filled("7e", 32);
const payoutsRoot = filled("90", 32);
const kycRoot = filled("c1", 32);
const recorder = filled("ec", 32);
// A total above 2^64: amounts are full uint256 words.
const payoutTotal = (2n ** 70n + 12345n).toString();
const payoutRouterCalls = (extra) => ({
  addRecorder: [recorder],
  removeRecorder: [recorder],
  recorders: [],
  recordBatch: [batchId, "202612", payoutsRoot, "3", payoutTotal, ...extra],
  recordReceipt: [batchId, tronTx, "1000000"],
  getBatch: [batchId],
  batchCount: [],
  getReceipt: [tronTx],
});
callArguments.PR0 = payoutRouterCalls([]);
callArguments.PRKYC = payoutRouterCalls([kycRoot]);
// An interface that only the vectors use: what the platform's contracts do not declare yet but the
// codec must get right (tuples in a JSON ABI, indexed string, address and signed arguments).
const probeAbi = [
  { type: "function", name: "settle", stateMutability: "nonpayable",
    inputs: [{ name: "batches", type: "tuple[]", components: [{ name: "root", type: "bytes32" }, { name: "month", type: "uint64" }] },
             { name: "memo", type: "string" }],
    outputs: [{ name: "ok", type: "bool" }] },
  { type: "event", name: "Note", anonymous: false,
    inputs: [{ name: "tag", type: "string", indexed: true }, { name: "who", type: "address", indexed: true },
             { name: "delta", type: "int16", indexed: true }, { name: "blob", type: "bytes", indexed: false }] },
];
callArguments.Probe = { settle: [[[filled("aa", 32), "202612"], [filled("bb", 32), "202701"]], "december"] };
const eventArguments = {
  Probe: { Note: ["payout", "0x00000000000000000000000000000000deadbeef", "-300", "0x0102"] },
  AnchorRegistry: {
    Anchored: [sessionId, owner, filled("4d", 32), filled("52", 32), "3", "1796000000"],
    ChunksAnchored: [sessionId, "0", [filled("01", 32), filled("02", 32)]],
  },
  Governance: {
    Proposed: ["1", timelockBlocks, governor, "20"],
    Voted: ["1", governor, true, "2", "0"],
    Approved: ["1", "42", "52"],
    Rejected: ["2", "43"],
    Executed: ["1", timelockBlocks, "20", "52"],
  },
  ParamRegistry: {
    ParamChanged: [timelockBlocks, "10", "20", "52"],
  },
};
const payoutRouterEvents = (extra) => ({
  RecorderAdded: [recorder],
  RecorderRemoved: [recorder],
  BatchRecorded: [batchId, "202612", payoutsRoot, "3", payoutTotal, ...extra],
  ReceiptRecorded: [batchId, tronTx, "1000000"],
  BatchSettled: [batchId, payoutTotal, "2"],
});
eventArguments.PR0 = payoutRouterEvents([]);
eventArguments.PRKYC = payoutRouterEvents([kycRoot]);

function contractVectors(dir) {
  const functions = [];
  const events = [];
  const contracts = fs.readdirSync(dir).filter((f) => f.endsWith(".abi.json")).sort()
    .map((file) => [file.replace(/\.abi\.json$/, ""), JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"))]);
  for (const [contract, abi] of [...contracts, ["Probe", probeAbi]]) {
    const iface = new Interface(abi);
    iface.forEachFunction((fragment) => {
      const args = callArguments[contract]?.[fragment.name];
      if (!args) throw new Error(`no test arguments for ${contract}.${fragment.name}`);
      const calldata = iface.encodeFunctionData(fragment, args);
      if (!same(toJson(iface.decodeFunctionData(fragment, calldata)), args)) throw new Error(`round trip of ${fragment.name}`);
      functions.push({ contract, name: fragment.name, signature: fragment.format("sighash"), selector: fragment.selector, arguments: args, calldata });
    });
    iface.forEachEvent((fragment) => {
      const args = eventArguments[contract]?.[fragment.name];
      if (!args) throw new Error(`no test arguments for ${contract}.${fragment.name}`);
      const log = iface.encodeEventLog(fragment, args);
      const decoded = toJson(iface.decodeEventLog(fragment, log.data, log.topics));
      events.push({ contract, name: fragment.name, signature: fragment.format("sighash"), topic: fragment.topicHash, arguments: args, topics: log.topics, data: log.data, decoded });
    });
  }
  return { functions, events };
}

const [contractsDir, flag, checkFile] = process.argv.slice(2);
if (!contractsDir) {
  console.error("usage: node gen_abi_vectors.mjs CONTRACTS_DIR [--check FILE]");
  process.exit(2);
}
const vectors = { generator: `ethers ${ethersVersion} (tests/chain/ethers/gen_abi_vectors.mjs)`, codec: codecVectors(), probe_abi: probeAbi, ...contractVectors(contractsDir) };
const text = JSON.stringify(vectors, null, 2) + "\n";
if (flag === "--check") {
  const committed = fs.readFileSync(checkFile, "utf8");
  if (committed !== text) {
    console.error(`${checkFile} differs from what ethers ${ethersVersion} makes now; regenerate it:\n  node ${path.relative(process.cwd(), process.argv[1])} ${contractsDir} > ${checkFile}`);
    process.exit(1);
  }
  console.log(`${checkFile}: ${vectors.codec.length} codec, ${vectors.functions.length} call and ${vectors.events.length} event vectors agree with ethers ${ethersVersion}`);
} else {
  process.stdout.write(text);
}
