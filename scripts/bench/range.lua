-- wrk script: each request asks a random 1 MiB range of a file of FILE_SIZE bytes, with any
-- headers given on the command line (-H, e.g. Authorization).
local size = tonumber(os.getenv("FILE_SIZE"))
local chunk = 1048576
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)

request = function()
  local start = math.random(0, size - chunk)
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1)
  return wrk.format("GET", nil, headers)
end
