module.exports = require('./log-scan.js').setup;
