# The course as a container image for JupyterHub and Binder (docs/deploy.md). It installs the
# course with the project's own scripts/setup, so the image and a laptop are set up the same
# way; the kernel, its dependencies and the compilation cache are built and warm in the image.
#
# Base: Debian 13. Its Python (3.13) installs the pinned Jupyter packages (Debian 12's 3.11.2
# does not: soupsieve 4.1.2 needs 3.11.5), and Debian's rustc-web / cargo-web / rust-web-src
# are Rust 1.96 with the standard library's sources, so no rustup download is needed.
ARG BASE=docker.io/library/debian:trixie
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      rustc-web cargo-web rust-web-src python3 python3-venv nodejs npm git ca-certificates \
      build-essential util-linux procps passwd \
 && rm -rf /var/lib/apt/lists/*
# Not root, as JupyterHub spawns it: uid 1000, named as in Jupyter's images (repo2docker
# passes its own NB_USER and NB_UID).
ARG NB_USER=jovyan
ARG NB_UID=1000
RUN useradd --create-home --uid ${NB_UID} --shell /bin/bash ${NB_USER} \
 && mkdir -p /opt/llm-math /opt/cargo && chown ${NB_UID}:${NB_UID} /opt/llm-math /opt/cargo
# The course lives outside the home, which JupyterHub mounts a volume over. So does cargo's
# home: the compiled dependencies name their sources there, and must find them at run time.
ENV CARGO_HOME=/opt/cargo
# The venv's jupyter first, also for `podman exec` and `kubectl exec`, which bypass the entry point.
ENV PATH=/opt/llm-math/.venv/bin:$PATH
USER ${NB_UID}
WORKDIR /opt/llm-math
COPY --chown=${NB_UID}:${NB_UID} . .
# A machine behind a TLS-inspecting proxy mounts its CA bundle for the build and names it in
# these (see docs/deploy.md); unset, the image's own certificates are used.
ARG SSL_CERT_FILE
ARG PIP_CERT
ARG REQUESTS_CA_BUNDLE
ARG NODE_EXTRA_CA_CERTS
ARG CARGO_HTTP_CAINFO
# Set-up with JupyterHub's single-user server. The kernels' build directories it warmed are
# dropped (a user's kernels build in their home, from the warm compilation cache kept here),
# and the list of built files is written again to match; the set-up's own download caches go.
# The compilation cache is made read-only: kernels link its entries into their own cache in the
# home and read them there (evcxr's hit counters, which it would write back, are best effort).
# The server's settings for the image (tooling/hub/jupyter_server_config.json): figures scale
# to their cell, as scripts/lab has them, and a kernel idle for an hour with no notebook open
# on it is shut down, giving its memory (about 1.2 GiB, docs/deploy.md) back.
RUN scripts/setup --hub \
 && rm -rf .cache/kernels \
 && .venv/bin/python -c "from llm_math_tools import warm, ROOT; warm.record(ROOT / '.cache')" \
 && chmod -R a-w .cache/evcxr \
 && rm -rf "$HOME/.cache" "$HOME/.npm" \
 && mkdir -p .venv/etc/jupyter/jupyter_server_config.d \
 && cp tooling/hub/jupyter_server_config.json .venv/etc/jupyter/jupyter_server_config.d/llm-math.json
WORKDIR /home/${NB_USER}
EXPOSE 8888
ENTRYPOINT ["/opt/llm-math/scripts/hub-start"]
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser"]
