// The editor's requests go through the pages' one JSON helper (pages.js): sign-in redirect,
// anti-forgery header, errors carrying their status and details.
import { config } from './state.js';
import * as pages from '../pages.js';

export const get = (url) => pages.request(url);
export const post = (url, body) => pages.post(config, url, body);

/** A POST whose refusals carry data (diagnostics): answers { ok, status, json } instead of throwing. */
export const postForAnswer = (url, body) => pages.postForAnswer(config, url, body);
