from kam_common.migrations import run_env
from kam_plays.models import Base

run_env(Base.metadata)
