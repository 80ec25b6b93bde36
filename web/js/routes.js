// js/routes.js: every screen of the app, one line each. A screen is a module under
// js/screens/<who uses it>/ that registers its strings (core/i18n.js `register`) and exports
// `routes` (core/router.js; a route with `nav` is also a section of the navigation). To add a
// screen, or a new role's screens: write the module, add its line here, and, for a new
// role's start page, a line in core/roles.js HOMES. The first route whose pattern matches wins.

import * as home from './screens/public/home.js';
import * as catalogue from './screens/public/catalogue.js';
import * as login from './screens/public/login.js';
import * as trips from './screens/driver/trips.js';
import * as trip from './screens/driver/trip.js';
import * as queue from './screens/account/queue.js';
import * as gate from './screens/gate/gate.js';
import * as gateLoad from './screens/gate/load.js';
import * as gateTreatment from './screens/gate/treatment.js';
import * as gateCapacity from './screens/gate/capacity.js';
import * as items from './screens/generator/items.js';
import * as register from './screens/generator/register.js';
import * as manifests from './screens/generator/manifests.js';
import * as manifestForm from './screens/generator/manifest-form.js';
import * as manifest from './screens/generator/manifest.js';
import * as item from './screens/shared/item.js';
import * as search from './screens/shared/search.js';
import * as enterprises from './screens/registry/enterprises.js';
import * as enterprise from './screens/registry/enterprise.js';
import * as alerts from './screens/oversight/alerts.js';
import * as indicators from './screens/oversight/indicators.js';
import * as facilities from './screens/oversight/facilities.js';
import * as log from './screens/oversight/log.js';
import * as dashboard from './screens/oversight/dashboard.js';
import * as users from './screens/admin/users.js';
import * as tokens from './screens/account/tokens.js';
import * as device from './screens/account/device.js';

export { notFound } from './screens/public/notfound.js';

export const screens = [
  home, catalogue, login,
  trips, trip, queue,
  gate, gateLoad, gateTreatment, gateCapacity,
  items, register,
  manifests, manifestForm, manifest,
  item, search,
  enterprises, enterprise,
  alerts, indicators, facilities, dashboard,
  log,
  users,
  tokens, device,
];

export const routes = screens.flatMap((s) => s.routes);
