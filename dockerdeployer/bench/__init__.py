"""docker-bench: scenario tasks for the assistant, checked on the engine's final state.

A task file (tasks/<category>/<id>.toml) declares the containers to set up, what the user says,
whether an approval is expected (the bench approves or rejects as told, as an admin), and what
the engine must look like afterwards. The runner gives every task a run-unique name prefix and
label, so tasks can neither collide with other users' containers nor leave anything behind.

Modules, in the order a task meets them:
  spec      the task file's schema (pydantic: a malformed file gets a readable error)
  loader    task files -> Task objects
  scope     the run-unique names, ports and placeholders of one task
  fixtures  set up, snapshot and clean up the task's containers and images on the engine
  safety    which approvals the bench may grant (only ever the task's own resources)
  verify    the state checks
  runner    one task end to end, then all of them with repeats
  report    pass@1 / pass@k, metrics, JSON and markdown
  cli       `dockerdeployer bench`
"""
