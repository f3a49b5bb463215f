"""A production-style Azure Key Vault certificates app, as a user would write it.

It knows nothing about the emulator: DefaultAzureCredential() and a CertificateClient for
$VAULT_URL with default options. Everything else (proxy, CA bundle, identity) comes from the
environment. The end-to-end suite (tests/tests/sdk_python_js.rs) runs it unmodified.

    python app.py full NAME    create NAME (SDK default policy), wait, get, list, read its secret
    python app.py create NAME  the same without reading the secret
    python app.py read NAME    get and list an existing certificate

Prints one JSON object on stdout (what was done, the certificate's ids and thumbprint, any
error's HTTP status and codes) and exits 0 on success, 1 on failure, 2 on bad usage.
"""

import hashlib
import json
import os
import sys

from azure.core.exceptions import AzureError, HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicy
from azure.keyvault.secrets import SecretClient

SCENARIOS = ("full", "create", "read")


def describe_certificate(cert):
    props = cert.properties
    return {
        "id": cert.id,
        "name": cert.name,
        "version": props.version,
        "thumbprint": props.x509_thumbprint.hex() if props.x509_thumbprint else None,
        "cer_sha1": hashlib.sha1(cert.cer).hexdigest() if cert.cer else None,
        "key_id": cert.key_id,
        "secret_id": cert.secret_id,
        "enabled": props.enabled,
    }


def describe_error(step, err):
    out = {"step": step, "type": type(err).__name__, "message": str(err).splitlines()[0] if str(err) else ""}
    if isinstance(err, HttpResponseError):
        out["status"] = err.status_code
        odata = err.error
        out["code"] = odata.code if odata else None
        inner = odata.innererror if odata else None
        out["inner_code"] = inner.get("code") if isinstance(inner, dict) else None
        out["message"] = odata.message if odata and odata.message else out["message"]
    return out


def run(scenario, name, summary):
    vault_url = os.environ["VAULT_URL"]
    credential = DefaultAzureCredential()
    client = CertificateClient(vault_url, credential)
    summary["vault_url"] = vault_url

    step = "start"
    try:
        if scenario in ("full", "create"):
            step = "create"
            poller = client.begin_create_certificate(name, CertificatePolicy.get_default())
            created = poller.result()
            summary["created"] = describe_certificate(created)

        step = "get"
        summary["certificate"] = describe_certificate(client.get_certificate(name))

        step = "list"
        summary["listed"] = sorted(p.name for p in client.list_properties_of_certificates())

        if scenario == "full":
            step = "secret"
            secret = SecretClient(vault_url, credential).get_secret(name)
            value = secret.value or ""
            summary["secret"] = {
                "id": secret.id,
                "content_type": secret.properties.content_type,
                "key_id": secret.properties.key_id,
                "managed": secret.properties.managed,
                "length": len(value),
            }
    except AzureError as err:
        summary["error"] = describe_error(step, err)
        return False
    finally:
        credential.close()
        client.close()
    return True


def main(argv):
    if len(argv) != 3 or argv[1] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        return 2
    scenario, name = argv[1], argv[2]
    summary = {"sdk": "python", "scenario": scenario, "name": name}
    ok = run(scenario, name, summary)
    summary["ok"] = ok
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
