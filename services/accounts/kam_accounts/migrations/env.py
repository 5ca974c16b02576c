from kam_accounts.models import Base
from kam_common.migrations import run_env

run_env(Base.metadata)
