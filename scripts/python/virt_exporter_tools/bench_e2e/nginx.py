"""nginx serving the exporter's bytes from files: the physical limit of serving them on this machine.

One worker process, `sendfile on` for the plain body, `gzip_static on` for the gzip body it finds
beside it as `metrics.gz`, on a loopback port, with every file it writes under its own directory."""

import os

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def configuration(directory, port):
    """nginx.conf for serving `directory`/www/metrics (and metrics.gz) on 127.0.0.1:`port`."""
    return f"""daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    types {{ }}
    default_type "{CONTENT_TYPE}";
    server {{
        listen 127.0.0.1:{port};
        root {directory}/www;
        location = /metrics {{
            gzip_static on;
        }}
    }}
}}
"""


def prepare(directory, port, plain, gz, top):
    """Writes the configuration and the two bodies; returns nginx's command line. The worker runs as
    nginx's default unprivileged user, so the files and the folders from them up to `top` (the
    run's work directory, made private by mkdtemp) are made readable by others."""
    www = os.path.join(directory, "www")
    os.makedirs(www, exist_ok=True)
    for name, body in (("metrics", plain), ("metrics.gz", gz)):
        with open(os.path.join(www, name), "wb") as f:
            f.write(body)
        os.chmod(os.path.join(www, name), 0o644)
    path, top = os.path.realpath(www), os.path.realpath(top)
    while path.startswith(top):
        os.chmod(path, os.stat(path).st_mode | 0o005)
        path = os.path.dirname(path)
    config = os.path.join(directory, "nginx.conf")
    with open(config, "w") as f:
        f.write(configuration(directory, port))
    return ["nginx", "-e", os.path.join(directory, "error.log"), "-p", directory, "-c", config]
