/*
 * A real offer from Debian's Chromium (headless, one audio transceiver,
 * pc.createOffer()), kept verbatim: Opus 111, RED, G.722, PCMU, PCMA,
 * CN, telephone-event, BUNDLE, rtcp-mux, sha-256 fingerprint.
 */
#ifndef OPENSEAT_WEBRTC_FX_H
#define OPENSEAT_WEBRTC_FX_H

#define CHROMIUM_FP "53:66:03:5E:49:97:48:56:DA:AA:7F:08:49:A9:C8:E5:" \
	"A8:A6:38:5D:CC:B5:50:E5:A7:AD:8C:91:F8:E4:F2:E8"

static const char chromium_offer[] =
	"v=0\r\n"
	"o=- 1854019682463153457 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:XYNC\r\n"
	"a=ice-pwd:koMjblezfvbIROoRSd7OlDRD\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 53:66:03:5E:49:97:48:56:DA:AA:7F:08:49:A9:C8"
	":E5:A8:A6:38:5D:CC:B5:50:E5:A7:AD:8C:91:F8:E4:F2:E8\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/"
	"abs-send-time\r\n"
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wid"
	"e-cc-extensions-01\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=sendrecv\r\n"
	"a=msid:- d1bd0799-cfe7-4931-8282-bced2db120c6\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtcp-xr:rcvr-rtt=all\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=ssrc:2662709812 cname:+vRvbayB0ThdV5zK\r\n"
	"a=ssrc:2662709812 msid:- d1bd0799-cfe7-4931-8282-bced2db120c6\r\n";

#endif
