import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { verifyPackText, type EvidencePack } from '../application/evidence-pack';

/**
 * `npm run evidence -- verify PACK --public-key KEY.pem`: checks an evidence
 * pack offline, with nothing but the pack and the service's public key (from
 * GET /api/v1/evidence/public-key, kept apart from the pack). Exit 0: valid;
 * 1: not valid (each reason printed); 2: the files could not be read.
 */
const program = new Command().name('evidence').description('Check ConfigLedger evidence packs offline.');

program
  .command('verify')
  .argument('<pack>', 'the evidence pack (JSON), as GET /api/v1/evidence returned it')
  .requiredOption('--public-key <file>', 'the service public key (PEM) you trust')
  .action((packFile: string, options: { publicKey: string }) => {
    let text: string;
    let trusted: string;
    try {
      text = readFileSync(packFile, 'utf8');
      trusted = readFileSync(options.publicKey, 'utf8');
    } catch (error) {
      process.stderr.write(`evidence: cannot read the files: ${(error as Error).message}\n`);
      process.exit(2);
    }
    const problems = verifyPackText(text, trusted);
    if (problems.length > 0) {
      process.stdout.write(`INVALID ${packFile}\n${problems.map((problem) => `  - ${problem}`).join('\n')}\n`);
      process.exit(1);
    }
    const pack = JSON.parse(text) as EvidencePack;
    process.stdout.write(
      `VALID ${packFile}: ${pack.cis.length} CIs as of ${pack.asOf}, ${pack.events.length} events, ` +
        `log head ${pack.log.head ? `${pack.log.head.position}:${pack.log.head.hash}` : '(empty)'}, ` +
        `signed by key ${pack.signature.keyId.slice(0, 16)}…\n`,
    );
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`evidence: ${(error as Error).message}\n`);
  process.exit(2);
});
