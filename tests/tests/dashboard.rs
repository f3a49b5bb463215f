//! The dashboards in a real browser (issue 17): headless Chromium through chromedriver drives
//! vault's `/_admin/ui/` (the real `vault` binary) and ca-sim's `/admin/ui/` (ca-sim serving
//! on loopback), by the test hooks of the dashboard contract (`data-testid`s, ids, names).
//!
//! - a partnered create shows its timeline arriving live through `completed`, without reload;
//! - a fault added through ca-sim's switchboard form fails the next partnered order, the
//!   failure and the CA's message appear in vault's timeline, and the rule's `fired` is 1;
//! - advancing vault's clock on its clock page fires an AutoRenew that appears live on the
//!   certificate page (open in another tab);
//! - ca-sim's approve and reject buttons change a waiting order's state;
//! - both dashboards follow the system's colour scheme (light and dark), with a base font of
//!   16 px or more and every text at WCAG's contrast minimum in both;
//! - the certificate list pages (50 a page) and searches on the server; the request log
//!   filters by path and method;
//! - keyboard use: Tab reaches the navigation with a visible focus ring, Enter follows a link;
//! - with `--auth entra` the page wants the admin token: 401 without it, and `?token=` once
//!   sets an HttpOnly cookie that the page's requests and its event stream then carry.
//!
//! Every page: no console error, nothing fetched from outside the service. Each run saves
//! screenshots to `target/screenshots/` (and with `UPDATE_SCREENSHOTS=1` to
//! `docs/screenshots/`, the README's pictures). The browser tests run one at a time.
//!
//! Files: `stage` (the servers, the browser, shared selectors), `flows` (the four
//! flows), `pages` (entra token, themes, keyboard, paging and search, request log).

mod flows;
mod pages;
mod stage;
