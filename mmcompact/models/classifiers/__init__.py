from .joint_learning_classifier import JointLearningClassifier, resolve_teacher

__all__ = ['JointLearningClassifier', 'resolve_teacher']
