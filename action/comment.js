// The zeeg action's plan comment, run by actions/github-script: one comment
// per pull request, found by its first line and its author, rewritten on
// every push. After a failed plan it becomes a short note, so a plan that no
// longer holds is never left up for review.
//
// Reads ZEEG_PLAN_STATUS (`planned`, or anything else for a failure) and
// ZEEG_PLAN_MARKDOWN (the path of `zeeg plan --format markdown`'s output).

const fs = require('fs');

const MARKER = '<!-- zeeg-plan -->';
// The author of comments made with the workflow's own token. Anyone can
// paste the marker into a comment of theirs; only this author's is ours.
const BOT = 'github-actions[bot]';

module.exports = async function comment({ github, context, core, env = process.env }) {
  const pull = context.payload.pull_request;
  if (!pull) {
    core.notice(`zeeg: no plan comment, since this run (${context.eventName}) is not for a pull request.`);
    return;
  }
  const run = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
  let body;
  if (env.ZEEG_PLAN_STATUS === 'planned') {
    body = fs.readFileSync(env.ZEEG_PLAN_MARKDOWN, 'utf8');
    if (!body.startsWith(MARKER)) {
      body = `${MARKER}\n${body}`;
    }
  } else {
    body = `${MARKER}\n### zeeg plan failed\n\nNo plan could be made for this commit, so none is shown. See [the run](${run}) for why.\n`;
  }
  const { owner, repo } = context.repo;
  const issue_number = pull.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });
  const ours = comments.find(
    (c) => c.user && c.user.type === 'Bot' && c.user.login === BOT && c.body && c.body.startsWith(MARKER),
  );
  if (ours) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: ours.id, body });
    core.info(`zeeg: updated the plan comment ${ours.html_url || ours.id}`);
  } else {
    const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
    core.info(`zeeg: posted the plan comment ${(data && data.html_url) || ''}`);
  }
};
