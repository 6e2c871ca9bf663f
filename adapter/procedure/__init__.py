"""The procedure check (contract §5): a draft vertebroplasty, kyphoplasty or pedicle screw
fixation order, level by level, against the case series' selection criteria."""
