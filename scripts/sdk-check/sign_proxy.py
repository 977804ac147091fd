"""A recording reverse proxy that checks every request with the official SDK's own code.

Put between the provider and the emulator, it verifies each API request before forwarding it:

* the signature, recomputed with the functions the official Python SDK signs with
  (alibabacloud_tea_openapi 0.4.6, `alibabacloud_tea_openapi.utils.Utils`):
  - RPC V2 `HMAC-SHA1`: `Utils.get_rpcsignature(signed_params, method, secret)` over the query
    and the form body together, exactly as `Client.do_rpcrequest` calls it; cross-checked with
    the older `alibabacloud_openapi_util.client.Client.get_rpcsignature`;
  - V3 `ACS3-HMAC-SHA256`: `Utils.get_authorization(request, sign_type, payload, ak, secret)`
    with `payload = Utils.hash(body, sign_type).hex()`, as `Client.do_request` calls it;
  a request whose signature differs is refused (HTTP 400, `SignatureDoesNotMatch`), never
  forwarded;
* the request's shape against what the official SDK sends for that action: the HTTP method and,
  for every action parameter, whether it goes in the query or in the body. The SDK's answer is
  taken from the SDK itself: its `<action>_with_options` method is called with the same
  parameters and its `call_api` is intercepted before anything is sent (`SdkShapes`). A
  parameter the SDK's request model does not know is a difference too. Shape differences are
  recorded per action (`method`, `placement` or `unknown`) and the request is forwarded, so one
  run lists them all; the caller decides which fail the check (see known-differences.txt).

Counts of checked requests per signature version and action, and every failure, are kept in
`Proxy.report()`.
"""

import http.client
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from alibabacloud_polardb20170801 import models as polardb_models
from alibabacloud_polardb20170801.client import Client as PolardbClient
from alibabacloud_polardbx20200202 import models as polardbx_models
from alibabacloud_polardbx20200202.client import Client as PolardbxClient
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_openapi.utils import Utils as SdkUtils
from darabonba.runtime import RuntimeOptions

try:  # the older util package: a second, independent copy of the V2 algorithm
    from alibabacloud_openapi_util.client import Client as LegacyUtil
except ImportError:  # pragma: no cover - it is pinned in requirements.txt
    LegacyUtil = None

# API version -> product name, SDK client class and models module.
PRODUCTS = {
    "2017-08-01": ("PolarDB", PolardbClient, polardb_models),
    "2020-02-02": ("PolarDB-X", PolardbxClient, polardbx_models),
}

# The query parameters the SDK's do_rpcrequest adds to every V2 request itself.
V2_COMMON = {"Action", "Format", "Version", "Timestamp", "SignatureNonce", "SignatureMethod",
             "SignatureVersion", "AccessKeyId", "SecurityToken", "Signature"}
# The headers the SDK's do_request always signs in V3 (besides any others it sends).
V3_SIGNED_REQUIRED = {"host", "x-acs-action", "x-acs-version", "x-acs-date",
                      "x-acs-signature-nonce", "x-acs-content-sha256"}
V3_ALGORITHM = "ACS3-HMAC-SHA256"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"}


class _Captured(Exception):
    """Raised from the intercepted call_api to stop the SDK before it sends anything."""

    def __init__(self, params, request):
        super().__init__("captured")
        self.params = params
        self.request = request


class SdkShapes:
    """What the official SDK sends for an action: its method and each parameter's place."""

    def __init__(self):
        self._clients = {}
        self._cache = {}

    def _client(self, version):
        if version not in self._clients:
            _, cls, _ = PRODUCTS[version]
            cfg = openapi_models.Config(access_key_id="shape", access_key_secret="shape",
                                        endpoint="sdk-shape.invalid", region_id="cn-hangzhou")
            client = cls(cfg)

            def capture(params, request, runtime):
                raise _Captured(params, request)

            client.call_api = capture
            self._clients[version] = client
        return self._clients[version]

    def shape(self, version, action, params):
        """(method, {name: "query"|"body"}, [names the SDK's model does not know])."""
        key = (version, action, tuple(sorted(params)))
        if key in self._cache:
            return self._cache[key]
        _, _, models = PRODUCTS[version]
        request_cls = getattr(models, f"{action}Request", None)
        if request_cls is None:
            raise LookupError(f"the official SDK has no {action}Request for API {version}")
        client = self._client(version)
        wanted = f"{action.lower()}withoptions"
        method_name = next((n for n in dir(client)
                            if n.replace("_", "").lower() == wanted), None)
        if method_name is None:
            raise LookupError(f"the official SDK client has no method for {action}")
        request = request_cls().from_map(dict(params))
        known = set(request.to_map())
        try:
            getattr(client, method_name)(request, RuntimeOptions())
            raise LookupError(f"the SDK's {method_name} did not call call_api")
        except _Captured as c:
            placement = {}
            for name in (c.request.query or {}):
                placement[name] = "query"
            for name in (c.request.body or {}):
                placement[name] = "body"
            result = (c.params.method, placement, sorted(set(params) - known))
        self._cache[key] = result
        return result


def _parse_pairs(text, where):
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
    names = [k for k, _ in pairs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"parameter(s) {', '.join(dupes)} repeated in the {where}")
    return dict(pairs)


class Verifier:
    """Checks one request; thread-safe counters of what was checked and what failed."""

    def __init__(self, key_id, secret, expect_version=None):
        self.key_id = key_id
        self.secret = secret
        self.expect_version = expect_version
        self.shapes = SdkShapes()
        self.lock = threading.Lock()
        self.checked = {}  # signature version -> "Product Action" -> count
        self.failures = []
        # "KIND VERSION Product Action" -> details; KIND is method, placement or unknown.
        self.shape_differences = {}

    def fail(self, what):
        with self.lock:
            self.failures.append(what)

    def check(self, method, target, headers, body):
        """Returns (ok_to_forward, label, error message or None)."""
        path, _, raw_query = target.partition("?")
        if path != "/":
            return False, "?", f"unexpected path {path!r} (the RPC APIs are served at /)"
        query = _parse_pairs(raw_query, "query")
        ctype = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if body and ctype != "application/x-www-form-urlencoded":
            return False, "?", f"a body of type {ctype!r}; RPC bodies are form-encoded"
        form = _parse_pairs(body.decode("utf-8"), "body") if body else {}
        auth = headers.get("authorization") or ""
        if set(form) & set(query):
            return False, "?", f"{sorted(set(form) & set(query))} both in the query and the body"
        common_in_body = sorted(set(form) & V2_COMMON)
        if "Signature" in query or "Signature" in form:
            version_name = "V2"
            # The SDK puts the common parameters in the query; verify the signature wherever
            # they are, and report their place as a shape difference.
            query, form = ({**query, **{k: form[k] for k in common_in_body}},
                           {k: v for k, v in form.items() if k not in V2_COMMON})
            action, api = query.get("Action"), query.get("Version")
        elif auth.startswith(V3_ALGORITHM + " "):
            version_name = "V3"
            action, api = headers.get("x-acs-action"), headers.get("x-acs-version")
        else:
            return False, "?", "neither a V2 Signature parameter nor a V3 Authorization header"
        if api not in PRODUCTS:
            return False, f"{action}", f"unknown API version {api!r}"
        label = f"{PRODUCTS[api][0]} {action}"
        if self.expect_version and version_name != self.expect_version:
            return False, label, f"signed {version_name}, the provider was set to sign " \
                                 f"{self.expect_version}"

        if version_name == "V2":
            error = self._check_v2(method, query, form)
            action_query = {k: v for k, v in query.items() if k not in V2_COMMON}
        else:
            error = self._check_v3(method, path, query, headers, body, auth)
            action_query = dict(query)
        if error:
            return False, label, f"{version_name} signature: {error}"

        problems = self._check_shape(api, action, method, action_query, form)
        if version_name == "V2" and common_in_body:
            problems.append(("placement", f"common parameters ({', '.join(common_in_body)}) in "
                                          f"the body, the SDK puts them in the query"))
        with self.lock:
            per = self.checked.setdefault(version_name, {})
            per[label] = per.get(label, 0) + 1
            for kind, detail in problems:
                key = f"{kind} {version_name} {label}"
                self.shape_differences.setdefault(key, set()).add(detail)
        return True, label, None

    def _check_v2(self, method, query, form):
        if query.get("SignatureMethod") != "HMAC-SHA1" or query.get("SignatureVersion") != "1.0":
            return "SignatureMethod/SignatureVersion are not HMAC-SHA1/1.0"
        if query.get("AccessKeyId") != self.key_id:
            return f"AccessKeyId {query.get('AccessKeyId')!r} is not the emulator's key"
        signed = {k: v for k, v in query.items() if k != "Signature"}
        signed.update(form)
        expected = SdkUtils.get_rpcsignature(signed, method, self.secret)
        if LegacyUtil is not None:
            legacy = LegacyUtil.get_rpcsignature(signed, method, self.secret)
            if legacy != expected:
                return "the two SDK implementations disagree (check the pinned versions)"
        if query["Signature"] != expected:
            return "Signature differs from the official SDK's get_rpcsignature"
        return None

    def _check_v3(self, method, path, query, headers, body, auth):
        fields = dict(part.split("=", 1) for part in auth[len(V3_ALGORITHM) + 1:].split(",")
                      if "=" in part)
        if fields.get("Credential") != self.key_id:
            return f"Credential {fields.get('Credential')!r} is not the emulator's key"
        signed_names = (fields.get("SignedHeaders") or "").split(";")
        missing = sorted(V3_SIGNED_REQUIRED - set(signed_names))
        if missing:
            return f"SignedHeaders lacks {', '.join(missing)} (the SDK signs them)"
        payload = SdkUtils.hash(body or b"", V3_ALGORITHM).hex()
        if headers.get("x-acs-content-sha256") != payload:
            return "x-acs-content-sha256 is not the SHA-256 of the body"
        signed_headers = {}
        for name in signed_names:
            value = headers.get(name)
            if value is None:
                return f"signed header {name} is not in the request"
            signed_headers[name] = value
        request = SimpleNamespace(pathname=path, method=method, query=query,
                                  headers=signed_headers)
        expected = SdkUtils.get_authorization(request, V3_ALGORITHM, payload, self.key_id,
                                              self.secret)
        if auth != expected:
            want = expected.rsplit("Signature=", 1)[-1]
            if fields.get("Signature") != want:
                return "Signature differs from the official SDK's get_authorization"
            return f"Authorization is not written as the SDK writes it: {auth!r}"
        return None

    def _check_shape(self, api, action, method, action_query, form):
        try:
            sdk_method, placement, unknown = self.shapes.shape(
                api, action, {**action_query, **form})
        except LookupError as e:
            return [("unknown", str(e))]
        problems = []
        if method != sdk_method:
            problems.append(("method", f"method {method}, the SDK sends {sdk_method}"))
        if unknown:
            problems.append(("unknown", f"parameter(s) {', '.join(unknown)} unknown to the "
                                        f"SDK's model"))
        for where, params in (("query", action_query), ("body", form)):
            for name in sorted(params):
                sdk_where = placement.get(name)
                if sdk_where and sdk_where != where:
                    problems.append(("placement", f"{name} in the {where}, the SDK puts it in "
                                                  f"the {sdk_where}"))
        return problems


class Proxy:
    """The proxy server: `start()` serves in a thread, `url`, `report()`, `stop()`."""

    def __init__(self, upstream, key_id, secret, expect_version=None, expect_product=None):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.verifier = Verifier(key_id, secret, expect_version)
        self.expect_product = expect_product
        self.forwarded = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: the report says what happened
                pass

            def _handle(self):
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def report(self):
        v = self.verifier
        with v.lock:
            return {"checked": {k: dict(sorted(d.items())) for k, d in sorted(v.checked.items())},
                    "failures": list(v.failures), "forwarded": self.forwarded,
                    "shape_differences": {k: sorted(d) for k, d in v.shape_differences.items()}}

    def handle(self, h):
        if h.headers.get("transfer-encoding"):
            self.verifier.fail(f"{h.command}: refused: a chunked body (the SDK sends a length)")
            self._answer(h, 400, "chunked request bodies are not expected")
            h.close_connection = True  # its body was not read
            return
        body = h.rfile.read(int(h.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in h.headers.items()}
        try:
            ok, label, error = self.verifier.check(h.command, h.path, headers, body)
        except Exception as e:  # a malformed request is a failure, not a crash of the proxy
            ok, label, error = False, "?", f"could not check: {e!r}"
        if ok and self.expect_product and not label.startswith(self.expect_product + " "):
            ok, error = False, f"sent to the {self.expect_product} endpoint"
        if not ok:
            self.verifier.fail(f"{h.command} {label}: refused: {error}")
            self._answer(h, 400, f"refused by the signature-checking proxy: {error}")
            return
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        try:
            conn.putrequest(h.command, h.path, skip_host=True, skip_accept_encoding=True)
            for k, v in h.headers.items():
                if k.lower() not in HOP_BY_HOP:
                    conn.putheader(k, v)
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            with self.verifier.lock:
                self.forwarded += 1
            h.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-length", "date",
                                                                     "server"):
                    h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError as e:
            self.verifier.fail(f"{h.command} {label}: the emulator did not answer: {e!r}")
            self._answer(h, 502, "the emulator did not answer the proxy")
        finally:
            conn.close()

    @staticmethod
    def _answer(h, status, message):
        data = ('{"Code":"SignatureDoesNotMatch","Message":%s,"RequestId":"proxy"}'
                % json.dumps(message)).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
