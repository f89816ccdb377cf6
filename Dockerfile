# OpenSeat: build stage, then a slim runtime with only shared libraries.
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
	build-essential pkg-config libre-dev librem-dev libssl-dev zlib1g-dev \
	libwebsockets-dev libuv1-dev libpq-dev libjansson-dev libjwt-dev \
	libsodium-dev libmp3lame-dev libopus-dev libspeexdsp-dev \
	libmpg123-dev ca-certificates nodejs npm \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# web: the consoles' pinned browser libraries (web/package.json) into
# web/vendor, which the runtime stage copies with the pages
RUN make -j2 MODE=release build web

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
	libre0 librem0 libwebsockets17 libwebsockets-evlib-uv libuv1 libpq5 \
	libjansson4 libjwt0 libsodium23 libmp3lame0 libopus0 \
	libspeexdsp1 libmpg123-0 ca-certificates openssl \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --home /srv/openseat --shell /usr/sbin/nologin \
	openseat
WORKDIR /srv/openseat
COPY --from=build /src/build/release/openseat /usr/local/bin/openseat
COPY --from=build /src/web ./web
COPY --from=build /src/migrations ./migrations
COPY --from=build /src/docs/openapi.json ./docs/openapi.json
COPY --from=build /src/config/openseat.conf.example ./openseat.conf.example
USER openseat
ENV OPENSEAT_WEB_ROOT=/srv/openseat/web \
	OPENSEAT_MIGRATIONS_DIR=/srv/openseat/migrations
EXPOSE 8443 5060/udp 5060/tcp
ENTRYPOINT ["/usr/local/bin/openseat"]
CMD ["serve"]
