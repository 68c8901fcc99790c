"""A minimal LiteLLM proxy on loopback for the console's tests: one /spend/logs/ui page with a
good row, a row with negative tokens (refused) and one with an unknown status (kept as other),
and the state endpoints tokentop reads. Prints "port:N" and serves until killed (at most 120 s)."""
import json, sys, threading, time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
ROWS = [
    {"request_id": "ok-1", "spend": 0.00042, "prompt_tokens": 100, "completion_tokens": 20,
     "startTime": now, "endTime": now, "model": "gpt-4o-mini", "custom_llm_provider": "openai",
     "status": "success"},
    {"request_id": "neg-1", "spend": 0.001, "prompt_tokens": -5, "completion_tokens": 1,
     "startTime": now, "endTime": now, "model": "gpt-4o-mini", "status": "success"},
    {"request_id": "odd-1", "spend": 0.002, "prompt_tokens": 10, "completion_tokens": 1,
     "startTime": now, "endTime": now, "model": "gpt-4o-mini", "status": "cancelled"},
]
STATE = {
    "/health/liveliness": "I'm alive!",
    "/global/spend": {"spend": 0.0034, "max_budget": None},
    "/model/info": {"data": []},
    "/router/settings": {"fields": [], "current_values": {}},
}

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/spend/logs/ui":
            body = {"data": ROWS, "total": len(ROWS), "page": 1, "page_size": 100, "total_pages": 1}
        elif path in STATE:
            body = STATE[path]
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port:%d" % srv.server_address[1], flush=True)
threading.Timer(120, srv.shutdown).start()
srv.serve_forever()
