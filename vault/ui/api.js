// The admin API as the dashboard calls it: same origin only (relative paths), JSON in and out,
// the error bodies (Key Vault's `{"error":{...}}`, ACME's problem documents) turned into one
// readable message.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** `GET`s (or sends) `path` with `query` (empty values left out); resolves to the JSON body. */
export async function api(path, { method = 'GET', query, body } = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  const url = qs ? `${path}?${qs}` : path;
  let resp;
  try {
    resp = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, `${method} ${path}: the service did not answer (${e.message}).`);
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!resp.ok) {
    const why = data?.error?.message || data?.detail || text.slice(0, 200) || resp.statusText;
    throw new ApiError(resp.status, `${method} ${path}: ${resp.status} ${why}`);
  }
  return data;
}

/** The path and query of an absolute `next` link, so paging stays on this page's origin. */
export function sameOrigin(link) {
  try {
    const u = new URL(link, location.href);
    return { path: u.pathname, query: Object.fromEntries(u.searchParams) };
  } catch {
    return null;
  }
}

/** `?vault=NAME` for the API, or nothing for the default vault. */
export function vaultQuery(vault) {
  return vault ? { vault } : {};
}
