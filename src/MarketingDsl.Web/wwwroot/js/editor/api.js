// The editor's requests go through the pages' one JSON helper (pages.js): sign-in redirect,
// anti-forgery header, errors carrying their status and details.
import { config } from './state.js';

const pages = window.mdslPages;

export const get = (url) => pages.request(url);
export const post = (url, body) => pages.post(config, url, body);

/** A POST whose refusals carry data (diagnostics): answers { ok, status, json } instead of throwing. */
export async function postForAnswer(url, body) {
  try {
    return { ok: true, status: 200, json: await post(url, body) };
  } catch (e) {
    if (e.status === undefined) throw e;
    return { ok: false, status: e.status, json: e.details || {} };
  }
}
