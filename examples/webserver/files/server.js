// A tiny web server for the webserver example. It reads its config once at
// start (so a new config needs a restart), answers GET / with the greeting
// drawn by cowsay when that package is installed, and GET /healthz with ok.
const http = require('node:http');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const cowsay = '/usr/games/cowsay';
const say = (text) =>
  fs.existsSync(cowsay) ? execFileSync(cowsay, ['-W', '500', text], { encoding: 'utf8' }) : `${text}\n`;

http
  .createServer((req, res) => {
    if (req.url === '/healthz') return res.end('ok\n');
    res.end(say(`${config.greeting} (${config.host}, pid ${process.pid})`));
  })
  .listen(config.port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${config.port}`));
