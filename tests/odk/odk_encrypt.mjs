// An encrypted ODK submission made in Node with node-forge, written from the ODK XForms
// encryption specification (getodk.github.io/xforms-spec/encryption), independently of the
// station's Python (app/crypto/odk.py), so the two meet only through the format.
//
// stdin: {"publicKey": base64 DER, "formId", "version", "instanceId", "xml": string,
//         "media": [{"name", "data": base64}], "mgf": "sha256" | "sha1"}
// stdout: {"manifest": string, "files": {name: base64}}
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(process.env.TIP_NODE_MODULES + "/");
const forge = require("node-forge");

const input = JSON.parse(readFileSync(0, "utf8"));
const pem = `-----BEGIN PUBLIC KEY-----\n${input.publicKey}\n-----END PUBLIC KEY-----`;
const publicKey = forge.pki.publicKeyFromPem(pem);
const mgfDigest = input.mgf === "sha1" ? forge.md.sha1.create() : forge.md.sha256.create();

function rsa(bytes) {
  const options = { md: forge.md.sha256.create(), mgf1: { md: mgfDigest } };
  return forge.util.encode64(publicKey.encrypt(bytes, "RSA-OAEP", options));
}

function md5Hex(bytes) {
  const md = forge.md.md5.create();
  md.update(bytes);
  return md.digest().toHex();
}

const aesKey = forge.random.getBytesSync(32);
const seed = forge.md.md5.create();
seed.update(forge.util.encodeUtf8(input.instanceId) + aesKey);
const ivSeed = seed.digest().getBytes().split("").map((c) => c.charCodeAt(0));
let counter = 0;
function nextIv() {
  ivSeed[counter % 16] = (ivSeed[counter % 16] + 1) % 256;
  counter += 1;
  return String.fromCharCode(...ivSeed);
}

function encrypt(bytes) {
  // AES-256-CFB with 128-bit feedback and PKCS#7 padding (Java's "AES/CFB/PKCS5Padding").
  const pad = 16 - (bytes.length % 16);
  const padded = bytes + String.fromCharCode(pad).repeat(pad);
  const cipher = forge.cipher.createCipher("AES-CFB", aesKey);
  cipher.start({ iv: nextIv() });
  cipher.update(forge.util.createBuffer(padded, "raw"));
  cipher.finish();
  return cipher.output.getBytes();
}

const encryptedKey = rsa(aesKey);
const files = {};
const lines = [input.formId, ...(input.version ? [input.version] : []), encryptedKey, input.instanceId];
const mediaNames = [];
for (const media of input.media || []) {
  const clear = forge.util.decode64(media.data);
  files[`${media.name}.enc`] = forge.util.encode64(encrypt(clear));
  lines.push(`${media.name}::${md5Hex(clear)}`);
  mediaNames.push(`${media.name}.enc`);
}
const xmlBytes = forge.util.encodeUtf8(input.xml);
files["submission.xml.enc"] = forge.util.encode64(encrypt(xmlBytes));
lines.push(`submission.xml::${md5Hex(xmlBytes)}`);
const signatureMd = forge.md.md5.create();
signatureMd.update(lines.join("\n") + "\n");
const signature = rsa(signatureMd.digest().getBytes());

const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
const version = input.version ? ` version="${esc(input.version)}"` : "";
const manifest =
  `<data xmlns="http://opendatakit.org/submissions" encrypted="yes" id="${esc(input.formId)}"${version}>` +
  `<base64EncryptedKey>${encryptedKey}</base64EncryptedKey>` +
  `<orx:meta xmlns:orx="http://openrosa.org/xforms"><orx:instanceID>${esc(input.instanceId)}</orx:instanceID></orx:meta>` +
  mediaNames.map((n) => `<media><file>${esc(n)}</file></media>`).join("") +
  `<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>` +
  `<base64EncryptedElementSignature>${signature}</base64EncryptedElementSignature>` +
  `</data>`;
process.stdout.write(JSON.stringify({ manifest, files }));
