-- wrk script: QQAP GET sends rotating over 32 recipients with numbered
-- texts, as bench/load's 32-connection rounds do (one fixed URL sends every
-- message to one recipient and repeats the same text). Each wrk thread
-- counts on its own, so with -t2 a number comes twice.
--   PW=密码 wrk --latency -t2 -c32 -d4s -s bench/wrk/recipients.lua 'http://127.0.0.1:7789/?'
-- PW empty (the reference server, which has no users): no credentials.
local counter = 0
local pw = os.getenv("PW") or ""

request = function()
  counter = counter + 1
  local path = wrk.path .. "QQ=" .. (10000 + counter % 32) .. "&content=bench+" .. counter
  if pw ~= "" then
    path = path .. "&Access_token=" .. pw .. "&user=demo"
  end
  return wrk.format("GET", path)
end
