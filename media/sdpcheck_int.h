/* The checks every SDP body passes before it is parsed (leg_sdp.c). */
#ifndef OPENSEAT_SDPCHECK_INT_H
#define OPENSEAT_SDPCHECK_INT_H

struct mbuf;

int leg_sdp_check(const struct mbuf *mb);

#endif
