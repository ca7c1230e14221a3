/*
 * vigil-gateway: subscribes to the sample bus, keeps the latest sample of
 * every source and serves the dashboard, a JSON snapshot and the live
 * WebSocket stream on one HTTP port.
 */
#ifndef VIGIL_GATEWAY_GATEWAY_H
#define VIGIL_GATEWAY_GATEWAY_H

struct config;

/*
 * Run until SIGTERM or SIGINT. Returns 0 after a clean stop, -1 when the
 * bus or the HTTP port cannot be set up (logged).
 */
int gateway_run(const struct config *cf);

#endif
