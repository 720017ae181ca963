# syntax=docker/dockerfile:1
# tokensvc: a static binary on distroless, running as an unprivileged user.
#
#   docker build -t tokensvc .
#   docker run --rm -p 8080:8080 --env-file tokensvc.env -v /secrets:/run/secrets:ro tokensvc
#
# It runs as uid 65532: give the key files to that user (chown 65532:65532,
# chmod 600; 640 shared with its group works too); tokensvc refuses key files
# everyone can read or anyone but their owner can write.
#
# The image sets TOKENSVC_ADDR, so it never starts in dev mode: without keys
# and API credentials it reports every missing setting and exits 1.

FROM golang:1.26-trixie AS build
WORKDIR /src
# Modules first, so a code change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY examples ./examples
# CGO off: a static binary that needs no libc in the final image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tokensvc ./cmd/tokensvc

# Debian 13: distroless ends static-debian12 in 2026. Pin both images by
# digest in your build pipeline (this repository cannot look them up).
FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/tokensvc /usr/local/bin/tokensvc
USER 65532:65532
ENV TOKENSVC_ADDR=:8080
EXPOSE 8080
# Liveness and readiness are HTTP (GET /healthz, GET /readyz): see
# deploy/kubernetes/tokensvc.yaml. Distroless has no shell for a HEALTHCHECK.
ENTRYPOINT ["/usr/local/bin/tokensvc"]
CMD ["serve"]
