-- wrk: POST the file named by the BODY and TYPE environment variables to /api/predict.
-- wrk itself reports answers other than 2xx/3xx ("Non-2xx or 3xx responses") and socket errors.
local file = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.path = "/api/predict"
wrk.body = file:read("*a")
wrk.headers["Content-Type"] = os.getenv("TYPE")
file:close()
