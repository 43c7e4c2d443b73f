// Calls to this server's API. Outside development every call carries the API key the user typed,
// kept in sessionStorage only (gone when the browser session ends); a 401 asks for the key again.
const KEY_STORE = 'decision-core-api-key';

function storedKey() {
  try { return sessionStorage.getItem(KEY_STORE); } catch { return null; }
}

function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_STORE, key); else sessionStorage.removeItem(KEY_STORE);
  } catch { /* storage refused (private mode): the key lives until the page is left */ }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem || {};
  }
}

export class Api {
  /** keyHeader: the header the API reads the key from, or null when the server needs none.
   *  askForKey(message) -> Promise<string>: shows the key prompt. */
  constructor(keyHeader, askForKey) {
    this.keyHeader = keyHeader;
    this.askForKey = askForKey;
    this.memoryKey = null;
  }

  async fetch(url, {body, accept = 'application/json'} = {}) {
    for (;;) {
      const headers = {Accept: accept};
      const key = this.keyHeader ? (storedKey() || this.memoryKey) : null;
      if (key) headers[this.keyHeader] = key;
      const init = {method: 'GET', headers, credentials: 'omit', cache: 'no-store'};
      if (body !== undefined) {
        init.method = 'POST';
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      const response = await fetch(url, init);
      if (response.ok) return response;
      if (response.status === 401 && this.keyHeader) {
        storeKey(null);
        this.memoryKey = await this.askForKey(key ? 'That API key was not accepted: enter a valid one.'
                                                  : 'This server needs an API key.');
        storeKey(this.memoryKey);
        continue;
      }
      let problem = null;
      try { problem = await response.json(); } catch { /* not JSON */ }
      throw new ApiError(response.status, problem);
    }
  }

  async json(url, body) {
    return (await this.fetch(url, {body})).json();
  }
}
