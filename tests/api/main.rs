//! Integration tests: the real daemon, in-process on port 0, spoken to over HTTP.
//! One test binary (faster to link); stories grouped by capability.

mod helpers;
mod man_pages;
mod node_client;
mod own_redis;
mod preview_site;
mod process;
mod protocol_suites;
mod python_client;
mod socket_client;
mod systemd;

mod accounts;
mod browser;
mod cluster;
mod connections;
mod daemon;
mod friends;
mod groups;
mod load_balancer;
mod messages;
mod preview;
mod preview_cluster;
mod preview_ssrf;
mod profiles;
mod realtime;
mod realtime_limits;
mod redis_bus;
mod redis_outage;
mod reload;
mod scale_out;
mod shutdown;
mod store_suite;
mod throttling;
mod tokens;
mod web;
