// core/state.js: what the app knows of the session, shared by every screen: the user, the
// user's own enterprise (its roles decide the user's home and sections), the server's
// reference lists (names of states, methods, roles...), and a notice for the next render.

import * as api from './api.js';

/** user: the session's user or null; own: the user's enterprise or null; refs: GET /reference. */
export const state = { user: null, own: null, refs: null, flash: null };

/** Loads the reference lists once (names of every closed list, districts). */
export async function ensureRefs(signal) {
  if (!state.refs) state.refs = await api.reference(signal);
  return state.refs;
}

/** Loads the user's own enterprise (for its roles); never fails the caller. */
export async function loadOwnEnterprise() {
  state.own = null;
  const uscc = state.user?.enterprise;
  if (!uscc) return;
  try {
    state.own = await api.enterprise(uscc);
  } catch {
    state.own = null;
  }
}

/** Forgets the session (logout, expiry). */
export function forgetUser() {
  state.user = null;
  state.own = null;
  api.forgetSession();
}
