"""gunicorn settings for RS-portalen in production: `gunicorn -c deploy/gunicorn.conf.py`.

Settings of the portal itself come from the environment (RSPORTAL_*, DATABASE_URL); this file
only shapes the server. RSPORTAL_BIND, RSPORTAL_WORKERS and RSPORTAL_THREADS override the
defaults below without editing the file.
"""

import os

wsgi_app = "rsportal.wsgi:application"
bind = os.environ.get("RSPORTAL_BIND", "127.0.0.1:8000")

# Threads rather than many processes: most of a request is waiting for PostgreSQL, and a thread
# costs far less memory than a worker (each worker holds Django, the registry data and, after its
# first PDF, WeasyPrint). Two workers survive one crashing; four threads each keep a slow request
# from holding up the rest.
worker_class = "gthread"
workers = int(os.environ.get("RSPORTAL_WORKERS", max(2, min(os.cpu_count() or 1, 4))))
threads = int(os.environ.get("RSPORTAL_THREADS", "4"))

# A worker whose main loop is silent for this long is stuck and is replaced. Long documents are
# built by `rsportal build_documents`, not in requests, so no page needs anywhere near this.
timeout = 60
# On stop or reload (SIGHUP), requests in flight get this long to finish.
graceful_timeout = 30
# nginx keeps connections to us open between requests.
keepalive = 5
# Replace each worker after a while so that memory a large document or export left behind is given
# back to the system; the jitter keeps the workers from restarting all at once.
max_requests = 2000
max_requests_jitter = 200
# The workers' heartbeat files on a memory file system: a slow or full disk must not make the
# master think the workers are dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Access log without query strings or referrers: search words, names typed into filters and the
# like must not end up in log files (%(U)s is the path alone). nginx logs the client's address.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("RSPORTAL_GUNICORN_LOG_LEVEL", "info")
proc_name = "rsportal"
# gunicorn 24+ opens a control socket in $HOME (or $XDG_RUNTIME_DIR) by default, one path shared by
# every gunicorn of the user. systemd's signals do all we need; older versions ignore the name.
control_socket_disable = True
