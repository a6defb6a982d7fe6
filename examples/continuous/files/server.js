// A tiny web server: GET / answers with the greeting from config.json (read on
// every request), GET /healthz answers 200 once the config is readable.
const http = require('node:http');
const fs = require('node:fs');
const port = Number(process.env.PORT || 8765);
const config = () => JSON.parse(fs.readFileSync(process.env.CONFIG, 'utf8'));
http
  .createServer((req, res) => {
    try {
      const c = config();
      if (req.url === '/healthz') return res.end('ok\n');
      res.end(`${c.greeting}\n`);
    } catch (err) {
      res.statusCode = 500;
      res.end(`config unreadable: ${err.message}\n`);
    }
  })
  .listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
