// core/names.js: the names people read for the codes of the server's closed lists (custody
// states, event types, treatment methods, roles, permit kinds, alert rules, ...), in the UI
// language, from GET /api/v1/reference: the server's one table, so the app, the label page
// and the printed manifest say the same. Never show a code from these lists to people
// without passing it through here.

import { pick } from './i18n.js';
import { state } from './state.js';

/** The name of `code` in reference list `list`; the code itself when unknown (or not loaded). */
export function refName(list, code) {
  const item = state.refs?.[list]?.find((x) => x.code === code);
  return item ? pick(item) : code;
}

/** Is `code` a member of reference list `list`? */
export const isRef = (list, code) => !!state.refs?.[list]?.some((x) => x.code === code);

/** The codes of reference list `list`, in the server's order. */
export const refCodes = (list) => (state.refs?.[list] || []).map((x) => x.code);

export const stateName = (code) => refName('item_states', code);
export const eventName = (code) => refName('event_types', code);
export const methodName = (code) => refName('treatment_methods', code);
export const userRoleName = (code) => refName('user_roles', code);
export const enterpriseRoleName = (code) => refName('enterprise_roles', code);
export const permitKindName = (code) => refName('permit_kinds', code);
export const ruleName = (code) => refName('alert_rules', code);
export const hazardName = (code) => refName('hazards', code);
export const formName = (code) => refName('forms', code);
export const vehicleTypeName = (code) => refName('vehicle_types', code);
export const districtName = (code) => refName('districts', code);
export const decisionName = (code) => refName('receive_decisions', code);
export const incidentName = (code) => refName('incident_kinds', code);
export const manifestStateName = (code) => refName('manifest_states', code);
