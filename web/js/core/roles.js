// core/roles.js: who the user is, decided in one place: the user's role (admin, regulator,
// enterprise admin or clerk), the roles of the user's own enterprise (generator, transporter,
// facility...), and from them the user's home: the page the user lands on after logging in.
// Screens ask these functions which sections and actions to offer; the server checks again.

import { state } from './state.js';

export const isAdmin = () => state.user?.role === 'admin';
export const isRegulator = () => state.user?.role === 'regulator';
/** Regulators and administrators: alerts, district indicators, every facility's reconciliation. */
export const canOversee = () => isAdmin() || isRegulator();
/** A user of an enterprise (its administrator or a clerk). */
export const isEnterpriseUser = () =>
  ['enterprise_admin', 'enterprise_clerk'].includes(state.user?.role) && !!state.user?.enterprise;

/** The roles of the user's own enterprise (none for administrators and regulators). */
export const ownRoles = () => (isEnterpriseUser() ? state.own?.roles || [] : []);
export const hasOwnRole = (...roles) => roles.some((r) => ownRoles().includes(r));

/** A transporter's user: drives (today's trips). */
export const isDriver = () => hasOwnRole('transporter');
/** A treatment facility's or collection point's user: works at the gate (arrivals). */
export const isGate = () => hasOwnRole('facility', 'collection_point');
/** A generator's user: registers containers and keeps the inventory. */
export const isGenerator = () => hasOwnRole('generator');

/** The USCC of the user's own enterprise when it is a treatment facility or collection point, else null. */
export const ownFacility = () => (isGate() ? state.own.uscc : null);

/** May the user add records of `kind` to enterprise `uscc`? The server checks again. */
export function canWrite(kind, uscc) {
  if (isAdmin()) return true;
  return kind !== 'permits' && state.user?.role === 'enterprise_admin' && state.user.enterprise === uscc;
}

/**
 * Role → home: where each kind of user lands after logging in, first match wins. An
 * enterprise with several roles lands on the first of its roles here (a facility that also
 * generates fly ash works at the gate first).
 */
export const HOMES = [
  { kind: 'admin', when: isAdmin, href: () => '#/enterprises' },
  { kind: 'regulator', when: isRegulator, href: () => '#/alerts' },
  { kind: 'gate', when: isGate, href: () => '#/gate' },
  { kind: 'driver', when: isDriver, href: () => '#/trips' },
  { kind: 'clerk', when: isGenerator, href: () => '#/items' },
  { kind: 'enterprise', when: isEnterpriseUser, href: () => `#/enterprises/${encodeURIComponent(state.user.enterprise)}` },
];

/** The user's home entry of HOMES, or null when logged out. */
export const homeOf = () => (state.user ? HOMES.find((x) => x.when()) || null : null);

/** The hash of the user's home ('#/' when logged out). */
export const homeHref = () => homeOf()?.href() || '#/';
