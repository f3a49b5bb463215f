// A production-style Azure Key Vault certificates app, as a user would write it.
//
// It knows nothing about the emulator: new DefaultAzureCredential() and a CertificateClient for
// $VAULT_URL with default options. Everything else (proxy, CA bundle, identity) comes from the
// environment. The end-to-end suite (tests/tests/sdk_python_js.rs) runs it unmodified.
//
//   node app.mjs full NAME    create NAME (SDK default policy), wait, get, list, read its secret
//   node app.mjs create NAME  the same without reading the secret
//   node app.mjs read NAME    get and list an existing certificate
//
// Prints one JSON object on stdout (what was done, the certificate's ids and thumbprint, any
// error's HTTP status and code) and exits 0 on success, 1 on failure, 2 on bad usage.

import { createHash } from "node:crypto";
import { DefaultAzureCredential } from "@azure/identity";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";

const SCENARIOS = ["full", "create", "read"];

const hex = (bytes) => (bytes ? Buffer.from(bytes).toString("hex") : null);
const digest = (algorithm, data) => createHash(algorithm).update(data).digest("hex");

function describeCertificate(cert) {
  const props = cert.properties;
  return {
    id: cert.id ?? props.id,
    name: cert.name ?? props.name,
    version: props.version ?? null,
    thumbprint: hex(props.x509Thumbprint),
    cer_sha1: cert.cer ? digest("sha1", Buffer.from(cert.cer)) : null,
    key_id: cert.keyId ?? null,
    secret_id: cert.secretId ?? null,
    enabled: props.enabled ?? null,
  };
}

function describeError(step, err) {
  return {
    step,
    type: err?.name ?? typeof err,
    status: err?.statusCode ?? null,
    code: err?.code ?? null,
    // The JS SDK surfaces Key Vault's error.code and message, not its innererror.
    inner_code: null,
    message: String(err?.message ?? err),
  };
}

async function run(scenario, name, summary) {
  const vaultUrl = process.env.VAULT_URL;
  const credential = new DefaultAzureCredential();
  const client = new CertificateClient(vaultUrl, credential);
  summary.vault_url = vaultUrl;

  let step = "start";
  try {
    if (scenario === "full" || scenario === "create") {
      step = "create";
      const poller = await client.beginCreateCertificate(name, DefaultCertificatePolicy);
      summary.created = describeCertificate(await poller.pollUntilDone());
    }

    step = "get";
    summary.certificate = describeCertificate(await client.getCertificate(name));

    step = "list";
    const names = [];
    for await (const props of client.listPropertiesOfCertificates()) {
      names.push(props.name);
    }
    summary.listed = names.sort();

    if (scenario === "full") {
      step = "secret";
      const secret = await new SecretClient(vaultUrl, credential).getSecret(name);
      const value = secret.value ?? "";
      summary.secret = {
        id: secret.properties.id,
        content_type: secret.properties.contentType ?? null,
        key_id: secret.properties.certificateKeyId ?? null,
        managed: secret.properties.managed ?? null,
        length: value.length,
      };
    }
  } catch (err) {
    summary.error = describeError(step, err);
    return false;
  }
  return true;
}

async function main(argv) {
  if (argv.length !== 2 || !SCENARIOS.includes(argv[0])) {
    console.error("usage: node app.mjs full|create|read NAME");
    return 2;
  }
  const [scenario, name] = argv;
  const summary = { sdk: "js", scenario, name };
  const ok = await run(scenario, name, summary);
  summary.ok = ok;
  const sorted = Object.fromEntries(Object.entries(summary).sort(([a], [b]) => a.localeCompare(b)));
  console.log(JSON.stringify(sorted, null, 2));
  return ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
